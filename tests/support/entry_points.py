"""Starting work the ways an operator can, against one Dagster instance, and measuring who wrote when.

- `submit_selection`: what the UI's Materialize of an asset selection does (a run of `__ASSET_JOB` with an
  asset selection, through the instance's run coordinator: the queue);
- `submit_runs` (tests/support/instance.py): what `dagster job launch`, sensors and schedules do;
- `dagster job execute` is started as a process by the test itself: it bypasses the queue.
`writer_intervals` reads each step's start and end from the event log, for the steps that write in an
environment; `max_overlap` is the most of them running at one moment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from dagster import AssetKey, DagsterEventType, DagsterInstance, EventRecordsFilter

ASSET_JOB = "__ASSET_JOB"


def submit_selection(
    instance: DagsterInstance,
    workspace_file: Path,
    assets: Iterable[AssetKey],
    run_config: Mapping[str, Any],
) -> str:
    """Create and queue a run of the selected assets, as the UI's Materialize button does."""
    from dagster import __version__
    from dagster._cli.workspace.cli_target import (
        get_code_location_from_workspace,
        get_remote_repository_from_code_location,
        get_workspace_from_cli_opts,
    )
    from dagster._core.definitions.selector import JobSubsetSelector
    from dagster_shared.cli import WorkspaceOpts

    opts = WorkspaceOpts(workspace=[str(workspace_file)])
    with get_workspace_from_cli_opts(instance, version=__version__, workspace_opts=opts) as workspace:
        location = get_code_location_from_workspace(workspace, None)
        repository = get_remote_repository_from_code_location(location, None)
        selector = JobSubsetSelector(
            location_name=location.name,
            repository_name=repository.name,
            job_name=ASSET_JOB,
            op_selection=None,
            asset_selection=list(assets),
        )
        job = location.get_job(selector)
        plan = location.get_execution_plan(
            job, run_config, step_keys_to_execute=None, known_state=None, instance=instance
        )
        run = instance.create_run(
            job_name=ASSET_JOB,
            run_id=None,
            run_config=run_config,
            resolved_op_selection=job.resolved_op_selection,
            step_keys_to_execute=plan.execution_plan_snapshot.step_keys_to_execute,
            op_selection=None,
            status=None,
            root_run_id=None,
            parent_run_id=None,
            tags=None,
            job_snapshot=job.job_snapshot,
            execution_plan_snapshot=plan.execution_plan_snapshot,
            parent_job_snapshot=job.parent_job_snapshot,
            remote_job_origin=job.get_remote_origin(),
            job_code_origin=job.get_python_origin(),
            asset_selection=frozenset(assets),
            asset_check_selection=None,
            asset_graph=repository.asset_graph,
        )
        instance.submit_run(run.run_id, workspace)
        return run.run_id


_ENDS = (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE)


def writer_intervals(
    instance: DagsterInstance, run_ids: Iterable[str], step_keys: set[str]
) -> list[tuple[float, float, str, str]]:
    """(start, end, run id, step key) of every step in `step_keys` of the runs, from the event log."""
    wanted = set(run_ids)
    starts: dict[tuple[str, str], float] = {}
    intervals = []
    for kind in (DagsterEventType.STEP_START, *_ENDS):
        for record in instance.get_event_records(EventRecordsFilter(event_type=kind), limit=100000):
            entry = record.event_log_entry
            if entry.run_id not in wanted or entry.step_key not in step_keys:
                continue
            key = (entry.run_id, entry.step_key)
            if kind == DagsterEventType.STEP_START:
                starts[key] = entry.timestamp
            else:
                intervals.append((starts.get(key, entry.timestamp), entry.timestamp, *key))
    return sorted(intervals)


def max_overlap(intervals: list[tuple[float, float, str, str]]) -> int:
    """The most intervals open at one moment (an end at the same instant as a start does not overlap)."""
    points = sorted([(start, 1) for start, *_ in intervals] + [(end, -1) for _, end, *_ in intervals])
    most = current = 0
    for _, change in points:
        current += change
        most = max(most, current)
    return most
