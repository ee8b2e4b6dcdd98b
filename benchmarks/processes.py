"""The Terraform processes a measured run started, from the probe's log (probe/sitecustomize.py)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any


def records(tf_log: Path) -> list[dict[str, Any]]:
    if not tf_log.exists():
        return []
    return [json.loads(line) for line in tf_log.read_text().splitlines() if line.strip()]


def per_component(tf_log: Path) -> dict[str, dict[str, int]]:
    """`<env>/<component>` -> command -> how many processes ran it."""
    counts: dict[str, Counter] = {}
    for record in records(tf_log):
        counts.setdefault(f"{record['environment']}/{record['component']}", Counter())[record["command"]] += 1
    return {name: dict(sorted(counter.items())) for name, counter in sorted(counts.items())}


def max_rss_mib(tf_log: Path) -> dict[str, int]:
    """command -> the largest resident set (MiB) one of its processes, or the provider it started, reached."""
    largest: dict[str, int] = {}
    for record in records(tf_log):
        largest[record["command"]] = max(largest.get(record["command"], 0), record.get("max_rss_mib", 0))
    return dict(sorted(largest.items()))


def seconds(tf_log: Path, command: str | None = None) -> list[float]:
    """Wall time of each process (of `command` only, when given)."""
    return [
        record["end"] - record["start"]
        for record in records(tf_log)
        if command is None or record["command"] == command
    ]


def busy_seconds(spans: list[dict[str, Any]]) -> float:
    """Wall time during which at least one of these Terraform processes ran (overlaps counted once)."""
    total, end = 0.0, None
    for span in sorted(spans, key=lambda record: record["start"]):
        start = span["start"] if end is None else max(span["start"], end)
        if span["end"] > start:
            total += span["end"] - start
            end = span["end"]
    return total


CHANGED = {
    "apply": 1,
    "plan": 1,
    "show": 1,
}  # show: the plan review's diff (deploy/review.py), before the apply


def expected(changed: dict[str, bool]) -> dict[str, dict[str, int]]:
    """The least a deploy can start: a plan per component; for one with changes, its review and apply."""
    return {name: dict(CHANGED) if has_changes else {"plan": 1} for name, has_changes in changed.items()}


# A data dir's first use (a cache miss): `init`, and `workspace select -or-create` once after it.
SETUP = ("init", "workspace")


def excess(counts: dict[str, dict[str, int]], changed: dict[str, bool]) -> dict[str, dict[str, int]]:
    """Processes beyond `expected` (a data dir's setup aside), per component; {} when there are none."""
    want = expected(changed)
    extra: dict[str, dict[str, int]] = {}
    for name in sorted(set(counts) | set(want)):
        for command in sorted(set(counts.get(name, {})) | set(want.get(name, {}))):
            if command in SETUP:
                continue
            over = counts.get(name, {}).get(command, 0) - want.get(name, {}).get(command, 0)
            if over:
                extra.setdefault(name, {})[command] = over
    return extra
