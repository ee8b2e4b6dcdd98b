"""Starting work the ways an operator can, against one Dagster instance, and measuring who wrote when.

- `submit_selection`: what the UI's Materialize of an asset selection does (a run of `__ASSET_JOB` with an
  asset selection, through the webserver's GraphQL and the instance's run coordinator: the queue);
- `submit_runs`: named jobs through the same GraphQL launch (what `dagster job launch`, sensors and
  schedules do: the instance's run coordinator);
- `dagster job execute` is started as a process by the test itself: it bypasses the queue.
`writer_intervals` reads each step's start and end from the event log, for the steps that write in an
environment; `max_overlap` is the most of them running at one moment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from dagster import AssetKey, DagsterEventType, DagsterInstance

from .webserver import Webserver

ASSET_JOB = "__ASSET_JOB"


def submit_runs(webserver: Webserver, requests: Iterable[tuple[str, Mapping[str, Any]]]) -> list[str]:
    """Launch runs of (job name, run config) as an operator does from the UI or its GraphQL API (the path
    `dagster job launch`, sensors and schedules share: the instance's run coordinator, i.e. the queue)."""
    return [webserver.launch(job_name, run_config) for job_name, run_config in requests]


def submit_selection(webserver: Webserver, assets: Iterable[AssetKey], run_config: Mapping[str, Any]) -> str:
    """Launch a run of the selected assets (`__ASSET_JOB`), as the UI's Materialize button does."""
    return webserver.launch(ASSET_JOB, run_config, assets=[key.path for key in assets])


_ENDS = (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE)


def writer_intervals(
    instance: DagsterInstance, run_ids: Iterable[str], step_keys: set[str]
) -> list[tuple[float, float, str, str]]:
    """(start, end, run id, step key) of every step in `step_keys` of the runs, from the event log."""
    starts: dict[tuple[str, str], float] = {}
    intervals = []
    kinds = {DagsterEventType.STEP_START, *_ENDS}
    for run_id in set(run_ids):
        for entry in instance.all_logs(run_id, of_type=kinds):  # in order: a step's start before its end
            if entry.step_key not in step_keys:
                continue
            key = (entry.run_id, entry.step_key)
            if entry.dagster_event_type == DagsterEventType.STEP_START:
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
