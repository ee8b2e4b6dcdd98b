"""Safe force-unlock of a Terraform state lock: only old locks that no running Dagster run can hold.

The lock is read, never guessed: a plan with a one-second lock timeout either acquires the lock (nothing to
unlock) or fails with Terraform's lock info (ID, who, created). The old system wiped its lock table on every
run and force-unlocked a hard-coded ID; this refuses a lock younger than the threshold and any lock while a
deploy of the environment is running (docs/decisions/0053-force-unlock.md).
"""

from __future__ import annotations

import copy
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from ..lib.terraform import LockInfo, StateLockedError, TerraformError, TerraformWorkspace
from ..naming import ENVIRONMENT_TAG

_RUNNING = [DagsterRunStatus.STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.CANCELING]


class UnlockRefused(RuntimeError):
    """The lock is too young, held by a running run, or not the one the operator named."""


@dataclass(frozen=True)
class UnlockRecord:
    workspace: str
    lock: LockInfo | None
    unlocked: bool
    age_minutes: float | None
    reason: str
    unlocked_by: str


def lock_created(lock: LockInfo) -> datetime:
    """Terraform's `2026-11-21 13:05:01.123456789 +0000 UTC` as an aware datetime."""
    match = re.match(r"(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d+))? ([+-]\d{4})", lock.created)
    if not match:
        raise UnlockRefused(f"cannot read the creation time {lock.created!r} of lock {lock.lock_id}")
    date, clock, fraction, offset = match.groups()
    micro = (fraction or "0")[:6].ljust(6, "0")
    return datetime.strptime(f"{date} {clock}.{micro} {offset}", "%Y-%m-%d %H:%M:%S.%f %z").astimezone(UTC)


def read_lock(workspace: TerraformWorkspace) -> LockInfo | None:
    """The current lock of the workspace's state, or None when it is free.

    A plan with a 1 s lock timeout and no variables: the lock is taken before the configuration is evaluated,
    so a held lock fails with its info and a free one fails later (missing variables) or plans; either way
    nothing is written.
    """
    probe = copy.copy(workspace)
    probe.lock_timeout_seconds = 1
    with tempfile.TemporaryDirectory(prefix="credex-lock-probe-") as directory:
        try:
            probe.run(
                "plan",
                "-input=false",
                "-no-color",
                "-refresh=false",
                "-lock-timeout=1s",
                f"-out={Path(directory) / 'probe.tfplan'}",
                allow=(0, 2),
            )
        except StateLockedError as error:
            if error.lock is None:
                raise UnlockRefused(
                    f"{workspace.workspace}: the state is locked but Terraform gave no lock info"
                ) from None
            return error.lock
        except TerraformError:
            return None
    return None


def running_runs(instance: DagsterInstance, environment: str, exclude_run_id: str | None = None) -> list[str]:
    """Ids of runs of `environment` that are starting, running or cancelling (any of them may hold the lock)."""
    records = instance.get_run_records(RunsFilter(statuses=_RUNNING, tags={ENVIRONMENT_TAG: environment}))
    return [record.dagster_run.run_id for record in records if record.dagster_run.run_id != exclude_run_id]


def force_unlock_if_stale(
    workspace: TerraformWorkspace,
    instance: DagsterInstance,
    environment: str,
    *,
    min_age: timedelta,
    reason: str,
    unlocked_by: str,
    expected_lock_id: str = "",
    exclude_run_id: str | None = None,
    now: datetime | None = None,
) -> UnlockRecord:
    """Force-unlock the workspace's lock when it is older than `min_age` and no run of the environment runs."""
    if not reason.strip():
        raise UnlockRefused("a force-unlock needs a reason (recorded with the unlock)")
    workspace.prepare()
    lock = read_lock(workspace)
    if lock is None:
        return UnlockRecord(workspace.workspace, None, False, None, "the state is not locked", unlocked_by)
    where = f"{workspace.workspace}: lock {lock.lock_id} held by {lock.who} since {lock.created} ({lock.operation})"
    if expected_lock_id and expected_lock_id != lock.lock_id:
        raise UnlockRefused(f"{where}: not the lock {expected_lock_id} you asked to unlock; nothing unlocked")
    age = (now or datetime.now(UTC)) - lock_created(lock)
    age_minutes = round(age.total_seconds() / 60, 1)
    if age < min_age:
        raise UnlockRefused(
            f"{where} is {age_minutes} min old, younger than the {min_age.total_seconds() / 60:g} min threshold: "
            "it may still be in use; nothing unlocked"
        )
    runs = running_runs(instance, environment, exclude_run_id)
    if runs:
        raise UnlockRefused(
            f"{where}: run(s) {', '.join(runs)} of {environment} are still running and may hold it; nothing unlocked"
        )
    workspace.run("force-unlock", "-force", "-no-color", lock.lock_id)
    return UnlockRecord(workspace.workspace, lock, True, age_minutes, reason, unlocked_by)
