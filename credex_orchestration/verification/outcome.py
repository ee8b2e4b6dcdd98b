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
    passed: bool
    reason: str
    metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def ok(cls, reason: str, **metadata: Any) -> Outcome:
        return cls(True, reason, dict(metadata))

    @classmethod
    def fail(cls, reason: str, **metadata: Any) -> Outcome:
        return cls(False, reason, dict(metadata))


def guarded(what: str, run: Callable[[], Outcome], redactor: Redactor | None = None) -> Outcome:
    """Run a check; an AWS or other error becomes a failed outcome that names what could not be checked."""
    redactor = redactor or Redactor()
    try:
        return run()
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "ClientError")
        message = error.response.get("Error", {}).get("Message", "")
        return Outcome.fail(redactor(f"{what}: AWS error {code}: {message}"))
    except BotoCoreError as error:
        return Outcome.fail(redactor(f"{what}: AWS unreachable: {error}"))
    except Exception as error:  # a check must report, not crash the step with a traceback
        return Outcome.fail(redactor(f"{what}: {type(error).__name__}: {error}"))
