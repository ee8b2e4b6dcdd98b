"""What a measured Dagster run recorded in its instance (DAGSTER_HOME): step times and check verdicts."""

from __future__ import annotations

from pathlib import Path

from dagster import DagsterEventType, DagsterInstance, RunsFilter
from dagster._core.instance.ref import InstanceRef


def _latest_run_logs(home: Path, job: str):
    with DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        runs = instance.get_runs(filters=RunsFilter(job_name=job), limit=1)
        if not runs:
            raise RuntimeError(f"no run of {job} in {home}")
        return list(instance.all_logs(runs[0].run_id))


def step_intervals(home: Path, job: str) -> dict[str, tuple[float, float]]:
    """(start, end) epoch seconds per step of the latest run of `job`, from STEP_START and its end event."""
    starts, ends = {}, {}
    for record in _latest_run_logs(home, job):
        event = record.dagster_event
        if event is None:
            continue
        if event.event_type == DagsterEventType.STEP_START:
            starts[event.step_key] = record.timestamp
        elif event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
            ends[event.step_key] = record.timestamp
    return {step: (starts[step], ends[step]) for step in starts if step in ends}


def check_verdicts(home: Path, job: str) -> dict[str, bool]:
    """`<component>:<check>` -> passed, for every asset check the latest run of `job` evaluated."""
    verdicts = {}
    for record in _latest_run_logs(home, job):
        event = record.dagster_event
        if event is not None and event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            verdicts[f"{evaluation.asset_key.path[-1]}:{evaluation.check_name}"] = evaluation.passed
    return verdicts
