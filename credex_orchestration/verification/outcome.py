"""What one verification found: passed or not, why, and the evidence, before it becomes a check result.

Checks are plain functions returning an `Outcome`, so they are tested without Dagster; `checks.py` turns
them into `AssetCheckResult`s. An unexpected error becomes a failed outcome naming it (never a traceback).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..lib.redact import Redactor


@dataclass
class Outcome:
    """`inconclusive`: the check could not decide (the app's rate limiter left no budget in its time): not a
    pass, never a failure that blocks or rolls back; it shows as a warning."""

    passed: bool
    reason: str
    metadata: dict[str, Any] = field(default_factory=dict)
    inconclusive: bool = False

    @classmethod
    def ok(cls, reason: str, **metadata: Any) -> Outcome:
        return cls(True, reason, dict(metadata))

    @classmethod
    def fail(cls, reason: str, **metadata: Any) -> Outcome:
        return cls(False, reason, dict(metadata))

    @classmethod
    def undecided(cls, reason: str, **metadata: Any) -> Outcome:
        """Inconclusive; the reason starts with "inconclusive: " so it reads so wherever it is shown."""
        text = reason if reason.startswith("inconclusive: ") else f"inconclusive: {reason}"
        return cls(False, text, {**metadata, "inconclusive": True}, inconclusive=True)


def describe_error(what: str, error: Exception) -> str:
    """One line naming what could not be checked and why (an AWS error code, unreachable, or the exception)."""
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "ClientError")
        message = error.response.get("Error", {}).get("Message", "")
        return f"{what}: AWS error {code}: {message}"
    if isinstance(error, BotoCoreError):
        return f"{what}: AWS unreachable: {error}"
    return f"{what}: {type(error).__name__}: {error}"


def guarded(what: str, run: Callable[[], Outcome], redactor: Redactor | None = None) -> Outcome:
    """Run a check; an AWS or other error becomes a failed outcome that names what could not be checked."""
    try:
        return run()
    except Exception as error:  # a check must report, not crash the step with a traceback
        return Outcome.fail((redactor or Redactor())(describe_error(what, error)))
