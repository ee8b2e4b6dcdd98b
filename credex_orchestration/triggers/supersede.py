"""A newer deploy request of an environment supersedes its older queued ones (never one already running).

Bursts of pushes (up to 10 commits an hour on credex-core's `stage`) would otherwise queue one deploy per
commit behind the one-per-environment run queue. Before a sensor requests a deploy, the queued runs that
sensors requested for the same environment are cancelled through the run coordinator, and their
components join the new request, so nothing they would have deployed is lost (a code-version run's
connectors are still deployed when a push supersedes it). Runs a person queued are left alone
(docs/decisions/0123-every-push-deploys.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from .. import naming
from ..environments import COMPONENTS, Environment
from ..naming import ENVIRONMENT_TAG, TRIGGER_TAG

# Triggers whose queued requests a newer request may replace.
SENSOR_TRIGGERS = ("branch-push", "code-version")


@dataclass
class Superseded:
    run_ids: list[str] = field(default_factory=list)
    components: set[str] = field(default_factory=set)

    def describe(self) -> str:
        if not self.run_ids:
            return ""
        return f"supersedes queued run(s) {', '.join(r[:8] for r in self.run_ids)}"


def queued_sensor_runs(instance: DagsterInstance, environment: Environment) -> list:
    runs = instance.get_runs(
        RunsFilter(
            job_name=naming.deploy_job(environment.name),
            statuses=[DagsterRunStatus.QUEUED],
            tags={ENVIRONMENT_TAG: environment.name},
        )
    )
    return [run for run in runs if run.tags.get(TRIGGER_TAG) in SENSOR_TRIGGERS]


def components_of(run, environment: Environment) -> set[str]:
    """The components a run deploys: its asset selection, or all of them when it has none."""
    if not run.asset_selection:
        return set(COMPONENTS)
    return {key.path[-1] for key in run.asset_selection if key.path[0] == environment.name}


def supersede(instance: DagsterInstance, environment: Environment, log=None) -> Superseded:
    """Cancel the environment's queued sensor runs; returns them and the components they held.

    Each run is read again right before it is cancelled: one the queue has started meanwhile is kept (the
    coordinator's cancel would terminate it). The window between that read and the cancel is Dagster's
    own (a queued run dequeued at that instant); see the decision.
    """
    superseded = Superseded()
    for run in queued_sensor_runs(instance, environment):
        current = instance.get_run_by_id(run.run_id)
        if current is None or current.status != DagsterRunStatus.QUEUED:
            continue
        if instance.run_coordinator.cancel_run(run.run_id):
            superseded.run_ids.append(run.run_id)
            superseded.components |= components_of(run, environment)
            if log is not None:
                log.info(
                    f"cancelled queued run {run.run_id} of {environment.name}: superseded by a newer request"
                )
    return superseded
