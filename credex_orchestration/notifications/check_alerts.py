"""Which check evaluations the team hears about, and what the message says (no Dagster calls here).

A check is reported when it starts failing and again when it passes after failing: one message per
failure, one per recovery, whatever the severity (a WARN drift or freshness check matters as much as an
ERROR one when nobody else sees it). A failure inside a failed run is already in that run's failure message
(`slack_on_run_failure`): it is recorded as failing, not posted twice. The failing set is the sensor's
cursor, so a restart neither repeats nor forgets (docs/decisions/0153-check-alerts.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

_MAX_EVIDENCE = 6
_MAX_VALUE = 300


@dataclass(frozen=True)
class CheckOutcome:
    """One evaluation of one check, with where it ran."""

    asset: str  # e.g. development/database_backups
    check: str
    passed: bool
    severity: str  # ERROR or WARN
    description: str | None
    evidence: Mapping[str, Any]
    run_id: str
    run_failed: bool
    environment: str | None

    @property
    def key(self) -> str:
        return f"{self.asset}:{self.check}"


@dataclass
class AlertState:
    """The sensor's cursor: the last storage id read and the checks currently failing."""

    after_storage_id: int | None = None
    failing: set[str] = field(default_factory=set)

    def dump(self) -> str:
        return json.dumps({"after_storage_id": self.after_storage_id, "failing": sorted(self.failing)})

    @classmethod
    def load(cls, cursor: str | None) -> AlertState:
        if not cursor:
            return cls()
        raw = json.loads(cursor)
        return cls(raw.get("after_storage_id"), set(raw.get("failing", [])))


def transitions(state: AlertState, outcomes: Iterable[CheckOutcome]) -> list[tuple[str, CheckOutcome]]:
    """("failed" | "recovered", outcome) to post, in order; `state.failing` is updated as they happen."""
    posts = []
    for outcome in outcomes:
        if not outcome.passed and outcome.key not in state.failing:
            state.failing.add(outcome.key)
            if not outcome.run_failed:
                posts.append(("failed", outcome))
        elif outcome.passed and outcome.key in state.failing:
            state.failing.discard(outcome.key)
            posts.append(("recovered", outcome))
    return posts


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def message(kind: str, outcome: CheckOutcome, run_url: str | None) -> str:
    where = f"*{outcome.environment}*" if outcome.environment else "no environment"
    link = f"<{run_url}|Open run {outcome.run_id[:8]} in Dagster>" if run_url else f"run {outcome.run_id}"
    if kind == "recovered":
        return f":white_check_mark: {where}: check `{outcome.check}` on {outcome.asset} passes again\n{link}"
    lines = [f":warning: {where}: check `{outcome.check}` on {outcome.asset} failed ({outcome.severity})"]
    if outcome.description:
        lines.append(f"• {_value(outcome.description)}")
    for name, value in list(outcome.evidence.items())[:_MAX_EVIDENCE]:
        lines.append(f"• {name}: {_value(value)}")
    lines.append(link)
    return "\n".join(lines)
