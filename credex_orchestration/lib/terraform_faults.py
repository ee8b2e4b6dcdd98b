"""Faults of a Terraform command reported as what they are, and its process supervised.

- An unsaved state (the backend refused the write after resources changed) is its own error: Terraform's
  `errored.tfstate` is kept next to the state in the backend (a private local file when that fails too), the
  error names where and the recovery steps.
- A state lock error is contention only when Terraform names a holder; it names the holder and the way out
  (`unlock_hint`, e.g. the `unlock_<env>` job). A failed lock release and a backend that cannot be reached
  while locking are reported as such.
- The child dies with its parent (`PR_SET_PDEATHSIG`), in its own process group so a timeout can kill it and
  whatever it started. See docs/decisions/0141-terraform-faults.md.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .terraform import Problem, TerraformError, TerraformWorkspace

_PR_SET_PDEATHSIG = 1
_UNSAVED = ("Failed to persist state", "Failed to save state", "errored.tfstate")
ERRORED_STATE = "errored.tfstate"


def _die_with_parent(parent: int) -> Callable[[], None]:
    def preexec() -> None:
        # Everything Terraform writes (saved plans, errored.tfstate, local state) is its owner's alone.
        os.umask(0o077)
        # SIGTERM: Terraform stops what it is doing, writes what state it can and releases its lock; an
        # orphaned Terraform would otherwise apply on, unsupervised, and exit without saving state.
        if os.uname().sysname == "Linux":
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def supervised_child() -> dict[str, Any]:
    """Popen arguments: own process group, umask 077, and (Linux) SIGTERM when the worker that started it dies.

    PR_SET_PDEATHSIG fires when the thread that forked exits: Terraform commands are started from the
    step's own thread, which outlives them.
    """
    return {"start_new_session": True, "preexec_fn": _die_with_parent(os.getpid())}


def classify_state_fault(
    workspace: TerraformWorkspace, where: str, problems: list[Problem], text: str
) -> TerraformError | None:
    """The error for an unsaved state or a lock problem, else None (the caller classifies the rest)."""
    from .terraform import (
        StateLockedError,
        StateNotSavedError,
        StateUnlockFailedError,
        TerraformBackendError,
        parse_lock_info,
    )

    summaries = [problem.summary for problem in problems]
    lock = parse_lock_info(text)
    hint = workspace.unlock_hint.format(lock_id=lock.lock_id if lock else "<the lock ID it names>")
    if any(marker in text for marker in _UNSAVED):
        kept = keep_errored_state(workspace)
        described = "; ".join(problem.describe() for problem in problems) or "state not saved"
        return StateNotSavedError(
            f"{where}: resources changed but Terraform could not save the state to the "
            f"{workspace.backend.kind} backend ({described}). The state it could not save is kept at "
            f"{kept or 'NOWHERE: Terraform left no errored.tfstate'}. Recover: when the backend answers "
            f"again, push it with `terraform state push <that file>` in workspace {workspace.workspace} "
            f"(root {workspace.root}), then release the lock if it is still held"
            + (f" ({hint})" if hint else "")
            + ", then deploy again and read the plan: until then the state does not know what this run created.",
            kept,
        )
    if any(s.startswith("Error releasing the state lock") for s in summaries):
        return StateUnlockFailedError(
            f"{where}: finished, but the state lock could not be released and is still held: "
            + "; ".join(problem.describe() for problem in problems)
            + (f". Release it: {hint}" if hint else "")
        )
    acquiring = "Error acquiring the state lock" in text or any(
        s.startswith("Error acquiring the state lock") for s in summaries
    )
    if not acquiring:
        return None
    if lock is None:
        described = "; ".join(problem.describe() for problem in problems) or "no detail"
        return TerraformBackendError(
            f"{where}: could not take the state lock because the {workspace.backend.kind} backend failed "
            f"(no other holder was named): {described}"
        )
    return StateLockedError(
        f"{where}: the state lock is held by {lock.who} since {lock.created} (lock ID {lock.lock_id}, "
        f"operation {lock.operation}); gave up after {workspace.lock_timeout_seconds}s. If that holder is "
        "gone (its run failed or its worker died), " + (hint or f"force-unlock lock {lock.lock_id}"),
        lock,
    )


def _errored_files(workspace: TerraformWorkspace) -> list[Path]:
    places = [workspace.root, workspace.data_dir, Path.cwd()]
    return [place / ERRORED_STATE for place in places if (place / ERRORED_STATE).is_file()]


def keep_errored_state(workspace: TerraformWorkspace) -> str | None:
    """Move Terraform's errored.tfstate next to the workspace's state; the place, or None if there is none.

    S3: `<workspace_key_prefix>/<workspace>/errored-<UTC time>.tfstate` in the state bucket (encrypted, like
    the state); local: next to the workspace's state file. When the backend refuses, the file stays in the
    workspace's data directory, readable by its owner only, and the error says so.
    """
    found = _errored_files(workspace)
    if not found:
        return None
    source = found[0]
    os.chmod(source, 0o600)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"errored-{stamp}.tfstate"
    settings = workspace.backend.settings
    try:
        if workspace.backend.kind == "s3":
            key = f"{settings.get('workspace_key_prefix', 'env:')}/{workspace.workspace}/{name}"
            _s3_client(workspace).upload_file(
                str(source), settings["bucket"], key, ExtraArgs={"ServerSideEncryption": "AES256"}
            )
            source.unlink()
            return f"s3://{settings['bucket']}/{key}"
        state_dir = Path(settings["workspace_dir"]) / workspace.workspace
        state_dir.mkdir(parents=True, exist_ok=True)
        target = state_dir / name
        shutil.move(str(source), target)
        os.chmod(target, 0o600)
        return str(target)
    except Exception as error:  # the backend is down too: keep it here, privately, and say so
        target = workspace.data_dir / name
        shutil.move(str(source), target)
        os.chmod(target, 0o600)
        return (
            f"{target} on this machine only (uploading it next to the state failed: {type(error).__name__}; "
            "copy it off before this worker ends)"
        )


def _s3_client(workspace: TerraformWorkspace) -> Any:
    import boto3

    env = workspace._environment()
    settings = workspace.backend.settings
    session = boto3.session.Session(
        aws_access_key_id=env.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY"),
        aws_session_token=env.get("AWS_SESSION_TOKEN"),
        region_name=str(settings.get("region") or env.get("AWS_DEFAULT_REGION") or "af-south-1"),
    )
    endpoint = (settings.get("endpoints") or {}).get("s3") or env.get("AWS_ENDPOINT_URL")
    return session.client("s3", endpoint_url=endpoint)
