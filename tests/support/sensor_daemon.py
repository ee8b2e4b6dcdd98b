"""The sensor daemon's side of a tick, for tests that drive sensors tick by tick.

Stands in for dagster-daemon's sensor loop with the production instance's QueuedRunCoordinator
(deploy/dagster.yaml): it evaluates the sensor with the cursor it kept, drops a request whose run key a run
of this sensor already carries (what dagster-daemon's sensor loop does: runs tagged `dagster/run_key` and
`dagster/sensor_name`), creates each other request as a run with those tags and submits it to the
instance's real QueuedRunCoordinator, and records the tick's asset events. A queued run must carry its
code location's origin, as the daemon's do: it is read with the public `deserialize_value` from the form
Dagster stores it in (decision 0185), since the origin classes are not public API. `launch` plays the queue's dequeue: it executes a queued run in process under its own run id.
The instance is a real SQLite instance with the QueuedRunCoordinator, so cancelling goes through it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from dagster import (
    DagsterInstance,
    DagsterRunStatus,
    Definitions,
    RunsFilter,
    SensorResult,
    SubmitRunContext,
    build_sensor_context,
    deserialize_value,
    instance_for_test,
)

from .webserver import LOCATION, REPOSITORY

RUN_KEY_TAG = "dagster/run_key"
SENSOR_NAME_TAG = "dagster/sensor_name"
QUEUED_COORDINATOR = {
    "run_coordinator": {
        "module": "dagster.core.run_coordinator",
        "class": "QueuedRunCoordinator",
        "config": {"max_concurrent_runs": 1},
    }
}


@contextmanager
def queued_instance() -> Iterator[DagsterInstance]:
    with instance_for_test(overrides=QUEUED_COORDINATOR) as instance:
        yield instance


def job_origin(job_name: str):
    """The code-location origin dagster-daemon gives a run of `job_name`, from the form Dagster stores in a run
    record (its legacy class names are kept for old run storage, so the form outlives module moves)."""
    location = {"__class__": "RegisteredRepositoryLocationOrigin", "location_name": LOCATION}
    repository = {
        "__class__": "ExternalRepositoryOrigin",
        "repository_location_origin": location,
        "repository_name": REPOSITORY,
    }
    stored = {
        "__class__": "ExternalPipelineOrigin",
        "external_repository_origin": repository,
        "pipeline_name": job_name,
    }
    return deserialize_value(json.dumps(stored))


class SensorDaemon:
    def __init__(
        self, instance: DagsterInstance, defs: Definitions, sensor_name: str, resources: Mapping[str, Any]
    ) -> None:
        self.instance, self.defs, self.resources = instance, defs, dict(resources)
        self.sensor = defs.resolve_sensor_def(sensor_name)
        self.cursor: str | None = None
        self.dropped: list[str] = []

    def tick(self):
        with build_sensor_context(
            instance=self.instance, cursor=self.cursor, resources=self.resources, sensor_name=self.sensor.name
        ) as context:
            result = self.sensor(context)
        if isinstance(result, SensorResult):
            if result.cursor is not None:
                self.cursor = result.cursor
            for event in result.asset_events or []:
                self.instance.report_runless_asset_event(event)
            result.created = [self.submit(request) for request in result.run_requests or []]
        return result

    def submit(self, request):
        if request.run_key:
            existing = self.instance.get_runs(
                RunsFilter(tags={RUN_KEY_TAG: request.run_key, SENSOR_NAME_TAG: self.sensor.name})
            )
            if existing:
                self.dropped.append(request.run_key)
                return None
        job = self.defs.resolve_job_def(request.job_name)
        tags = {**job.tags, **request.tags, SENSOR_NAME_TAG: self.sensor.name}
        if request.run_key:
            tags[RUN_KEY_TAG] = request.run_key
        run = self.instance.create_run_for_job(
            job_def=job,
            run_config=request.run_config,
            tags=tags,
            asset_selection=frozenset(request.asset_selection) if request.asset_selection else None,
            remote_job_origin=job_origin(job.name),
        )
        # The instance's own QueuedRunCoordinator enqueues it (it reads nothing of the workspace).
        return self.instance.run_coordinator.submit_run(SubmitRunContext(run, workspace=None))

    def queued(self) -> list:
        return list(self.instance.get_runs(RunsFilter(statuses=[DagsterRunStatus.QUEUED])))

    def launch(self, run):
        """Dequeue `run` and execute it in process with its config, tags and selection (under a new run id:
        the queued run's planned check events stay in the event log and may not be planned twice)."""
        run = self.instance.get_run_by_id(run.run_id)
        assert run.status == DagsterRunStatus.QUEUED, f"run {run.run_id} is {run.status}, not queued"
        job = self.defs.resolve_job_def(run.job_name)
        self.instance.delete_run(run.run_id)
        return job.execute_in_process(
            run_config=run.run_config,
            instance=self.instance,
            tags={k: v for k, v in run.tags.items() if k not in job.tags},
            asset_selection=sorted(run.asset_selection, key=str) if run.asset_selection else None,
            raise_on_error=False,
        )
