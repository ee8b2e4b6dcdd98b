"""An environment whose last deploy failed is "behind its branch" until a deploy succeeds, and says so.

Evaluated on every tick of the environment's branch-push sensor, from the run history (not from what the
sensor remembers): the newest finished deploy of the environment (success or failure; cancelled runs were
superseded and do not count). A failure records an observation on each component asset (`behind_branch:
true`, the failed run, its first error, the branch tip) and posts one notification; the first success
after it records `behind_branch: false` (docs/decisions/0124-behind-its-branch.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from dagster import (
    AssetObservation,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    RunsFilter,
)

from .. import naming
from ..environments import COMPONENTS, Environment
from ..notifications.behind import behind_text, caught_up_text

_MAX_REASON = 300


@dataclass(frozen=True)
class DeployState:
    """The newest finished deploy: `failed_run` is set when it failed."""

    failed_run: str | None
    reason: str
    last_run: str | None

    @property
    def behind(self) -> bool:
        return self.failed_run is not None


def failure_reason(instance: DagsterInstance, run_id: str) -> str:
    """The first failed step's error (the user's exception), else the run failure's message."""
    for event_type in (DagsterEventType.STEP_FAILURE, DagsterEventType.RUN_FAILURE):
        records = instance.get_records_for_run(run_id=run_id, of_type=event_type, limit=1).records
        for record in records:
            event = record.event_log_entry.dagster_event
            data = event.event_specific_data if event else None
            error = getattr(data, "error", None)
            while error is not None and error.cause is not None and error.cls_name.startswith("Dagster"):
                error = error.cause
            text = (error.message if error is not None else record.event_log_entry.message) or ""
            line = text.strip().splitlines()[0] if text.strip() else ""
            if line:
                return line[:_MAX_REASON]
    return "the run failed (no error recorded)"


def deploy_state(instance: DagsterInstance, environment: Environment) -> DeployState:
    runs = instance.get_runs(
        RunsFilter(
            job_name=naming.deploy_job(environment.name),
            statuses=[DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE],
        ),
        limit=1,
    )
    if not runs:
        return DeployState(None, "", None)
    run = runs[0]
    if run.status == DagsterRunStatus.FAILURE:
        return DeployState(run.run_id, failure_reason(instance, run.run_id), run.run_id)
    return DeployState(None, "", run.run_id)


def observations(
    environment: Environment, behind: bool, state: DeployState, tip: str
) -> list[AssetObservation]:
    metadata = {"behind_branch": behind, "branch": environment.branch, "branch_tip": tip}
    if behind:
        metadata.update(failed_run=state.failed_run or "", reason=state.reason)
        description = (
            f"{environment.name} is behind its branch {environment.branch!r} ({tip[:12]}): deploy run "
            f"{state.failed_run} failed: {state.reason}"
        )
    else:
        metadata.update(deployed_by=state.last_run or "")
        description = f"{environment.name} caught up: run {state.last_run} succeeded"
    return [
        AssetObservation(
            asset_key=naming.component_key(environment.name, component),
            metadata=metadata,
            description=description,
        )
        for component in COMPONENTS
    ]


def message(environment: Environment, behind: bool, state: DeployState, tip: str, run_url: str | None) -> str:
    if behind:
        return behind_text(
            environment.name, environment.branch, tip, state.failed_run or "", state.reason, run_url
        )
    return caught_up_text(environment.name, environment.branch, state.last_run or "")
