"""The run-failure sensor: one message per failed run of this code location, when Slack is configured."""

from dagster import (
    DagsterEventType,
    DefaultSensorStatus,
    RunFailureSensorContext,
    SkipReason,
    run_failure_sensor,
)

from .message import report
from .slack import SlackNotifier


def build_run_failure_sensor(default_status: DefaultSensorStatus):
    """The sensor with the default status the code location chooses (running when Slack is configured)."""

    @run_failure_sensor(
        name="slack_on_run_failure",
        default_status=default_status,
        minimum_interval_seconds=30,
        description="Posts every failed run (environment, component, SHA, failed check, link) to Slack "
        "when SLACK_BOT_TOKEN is set; without a token it does nothing.",
    )
    def slack_on_run_failure(context: RunFailureSensorContext, slack: SlackNotifier) -> SkipReason | None:
        if not slack.configured:
            return SkipReason("SLACK_BOT_TOKEN is not set: Slack notifications are off")
        run = context.dagster_run
        checks = context.instance.get_records_for_run(
            run_id=run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
        ).records
        failure = report(
            run,
            context.get_step_failure_events(),
            [
                record.event_log_entry.dagster_event
                for record in checks
                if record.event_log_entry.dagster_event
            ],
            context.failure_event.message,
            slack.run_url(run.run_id),
        )
        slack.post(failure.text())
        context.log.info(f"posted the failure of run {run.run_id} to {slack.channel}")
        return None

    return slack_on_run_failure


slack_on_run_failure = build_run_failure_sensor(DefaultSensorStatus.RUNNING)
