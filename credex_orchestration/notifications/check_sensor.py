"""The failed-check sensor: each check that starts failing, or recovers, is posted to Slack once.

Scheduled checks (`backup_freshness`, `no_drift`, `ami_freshness`, `policy_current`,
`access_key_rotation`) leave their runs successful, so the run-failure sensor never sees them. This sensor
reads finished runs (success and failure) through the public `fetch_run_status_changes`, then each run's
check evaluations, and keeps the failing set in its cursor (check_alerts.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from dagster import (
    DagsterEventType,
    DagsterInstance,
    DefaultSensorStatus,
    RunStatusChangeRecordsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from ..naming import ENVIRONMENT_TAG
from .check_alerts import AlertState, CheckOutcome, message, transitions
from .slack import SlackNotifier

SENSOR_NAME = "slack_on_failed_check"
_RUNS_PER_TICK = 50
_FINISHED = (DagsterEventType.RUN_SUCCESS, DagsterEventType.RUN_FAILURE)


def finished_runs(instance: DagsterInstance, after_storage_id: int | None) -> list[tuple[int, str, bool]]:
    """(storage id, run id, failed) of runs that finished after the cursor, oldest first."""
    found = []
    for event_type in _FINISHED:
        result = instance.fetch_run_status_changes(
            RunStatusChangeRecordsFilter(event_type=event_type, after_storage_id=after_storage_id),
            limit=_RUNS_PER_TICK,
            ascending=True,
        )
        for record in result.records:
            failed = event_type == DagsterEventType.RUN_FAILURE
            found.append((record.storage_id, record.event_log_entry.run_id, failed))
    return sorted(found)[:_RUNS_PER_TICK]


def outcomes_of_run(
    instance: DagsterInstance, run_id: str, failed: bool, environments: Iterable[str]
) -> list[CheckOutcome]:
    run = instance.get_run_by_id(run_id)
    tagged = run.tags.get(ENVIRONMENT_TAG) if run else None
    names = set(environments)
    outcomes = []
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION).records
    for record in records:
        event = record.event_log_entry.dagster_event
        evaluation = event.event_specific_data if event else None
        if evaluation is None:
            continue
        path = evaluation.asset_key.path
        environment = tagged or (path[0] if path and path[0] in names else None)
        outcomes.append(
            CheckOutcome(
                asset=evaluation.asset_key.to_user_string(),
                check=evaluation.check_name,
                passed=evaluation.passed,
                severity=evaluation.severity.value,
                description=evaluation.description,
                evidence={name: value.value for name, value in evaluation.metadata.items()},
                run_id=run_id,
                run_failed=failed,
                environment=environment,
            )
        )
    return outcomes


def build_check_sensor(environments: Iterable[str], default_status: DefaultSensorStatus) -> SensorDefinition:
    names = tuple(environments)

    @sensor(
        name=SENSOR_NAME,
        minimum_interval_seconds=60,
        default_status=default_status,
        description="Posts each check that starts failing (scheduled ones included) and each recovery to "
        "Slack, once, with environment, check, evidence and run link; needs SLACK_BOT_TOKEN.",
    )
    def slack_on_failed_check(
        context: SensorEvaluationContext, slack: SlackNotifier
    ) -> SensorResult | SkipReason:
        # A tick that raises (Slack down) keeps the old cursor: its messages are posted again next tick.
        if not slack.configured:
            return SkipReason("SLACK_BOT_TOKEN is not set: Slack notifications are off")
        state = AlertState.load(context.cursor)
        runs = finished_runs(context.instance, state.after_storage_id)
        posted = 0
        for storage_id, run_id, failed in runs:
            for kind, outcome in transitions(state, outcomes_of_run(context.instance, run_id, failed, names)):
                slack.post(message(kind, outcome, slack.run_url(run_id)))
                posted += 1
            state.after_storage_id = storage_id
        context.log.info(f"read {len(runs)} finished runs, posted {posted} check messages")
        return SensorResult(cursor=state.dump())

    return slack_on_failed_check
