"""A failed scheduled check reaches Slack once, and its recovery once: the real backup_freshness job on moto,
the real sensor, a loopback HTTP server standing in for Slack's Web API (tests/support/slack.py)."""

from __future__ import annotations

import boto3
import pytest
from dagster import DagsterInstance, SensorResult, build_sensor_context

from credex_orchestration.definitions import build_definitions
from credex_orchestration.notifications.check_alerts import AlertState, CheckOutcome, transitions
from credex_orchestration.notifications.check_sensor import SENSOR_NAME
from credex_orchestration.notifications.slack import SlackNotifier
from credex_orchestration.resources import AwsResource

from .support.slack import SlackApiStandIn

TOKEN = "xoxb-test-token-not-real"
REGION = "af-south-1"


@pytest.fixture
def slack_api():
    with SlackApiStandIn() as server:
        yield server


def _tick(defs, instance: DagsterInstance, notifier: SlackNotifier, cursor: str | None) -> str | None:
    sensor = defs.resolve_sensor_def(SENSOR_NAME)
    context = build_sensor_context(instance=instance, cursor=cursor, resources={"slack": notifier})
    result = sensor(context)
    assert isinstance(result, SensorResult), result
    return result.cursor


def _volume(ec2, env: str, role: str) -> str:
    tags = [{"Key": "Environment", "Value": env}, {"Key": "Role", "Value": role}]
    return ec2.create_volume(
        AvailabilityZone=f"{REGION}a", Size=50, TagSpecifications=[{"ResourceType": "volume", "Tags": tags}]
    )["VolumeId"]


def test_a_failed_scheduled_check_notifies_once_and_its_recovery_once(
    aws_endpoint, environments, slack_api
) -> None:
    defs = build_definitions(environments, resources={"aws": AwsResource()})
    instance = DagsterInstance.ephemeral()
    notifier = SlackNotifier(
        token=TOKEN, channel="#deploys", base_url=slack_api.base_url, webserver_url="http://dagster.test"
    )
    check_job = defs.resolve_job_def("backup_freshness_development")

    failing = check_job.execute_in_process(instance=instance)
    assert failing.success  # the check fails, the run does not: the run-failure sensor never hears of it
    [evaluation] = failing.get_asset_check_evaluations()
    assert not evaluation.passed

    cursor = _tick(defs, instance, notifier, None)
    [message] = slack_api.messages()
    text = message.body["text"]
    assert message.body["channel"] == "#deploys"
    assert text.startswith(
        ":warning: *development*: check `backup_freshness` on development/database_backups failed (ERROR)"
    )
    assert "newest Neo4j backup older than 28 h: LedgerSpace (none), SearchSpace (none)" in text
    assert '• newest: {"LedgerSpace": null, "SearchSpace": null}' in text
    run_id = failing.run_id
    assert f"<http://dagster.test/runs/{run_id}|Open run {run_id[:8]} in Dagster>" in text

    # Nothing new, then the same failure again: no second message.
    cursor = _tick(defs, instance, notifier, cursor)
    check_job.execute_in_process(instance=instance)
    cursor = _tick(defs, instance, notifier, cursor)
    assert len(slack_api.messages()) == 1

    # A real backup (the backup job snapshots the tagged data volumes), then the check passes: one recovery.
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=aws_endpoint)
    for role in ("LedgerSpace", "SearchSpace"):
        _volume(ec2, "development", role)
    assert defs.resolve_job_def("backup_development").execute_in_process(instance=instance).success
    passing = check_job.execute_in_process(instance=instance)
    assert passing.get_asset_check_evaluations()[0].passed
    cursor = _tick(defs, instance, notifier, cursor)
    _tick(defs, instance, notifier, cursor)
    messages = [m.body["text"] for m in slack_api.messages()]
    assert len(messages) == 2
    assert messages[1].startswith(
        ":white_check_mark: *development*: check `backup_freshness` on development/database_backups passes again"
    )
    assert TOKEN not in "".join(messages)


def test_without_a_token_the_sensor_posts_nothing(environments, slack_api) -> None:
    defs = build_definitions(environments, resources={"aws": AwsResource()})
    sensor = defs.resolve_sensor_def(SENSOR_NAME)
    context = build_sensor_context(
        instance=DagsterInstance.ephemeral(),
        resources={"slack": SlackNotifier(token=None, base_url=slack_api.base_url)},
    )
    outcome = sensor(context)
    assert "SLACK_BOT_TOKEN" in outcome.skip_message and slack_api.requests == []


def _outcome(passed: bool, run_failed: bool = False, check: str = "no_drift") -> CheckOutcome:
    return CheckOutcome("staging/app", check, passed, "WARN", "drift", {}, "run-1", run_failed, "staging")


def test_a_failure_in_a_failed_run_is_tracked_but_left_to_the_run_failure_message() -> None:
    state = AlertState()
    assert transitions(state, [_outcome(False, run_failed=True)]) == []
    assert state.failing == {"staging/app:no_drift"}
    [(kind, _)] = transitions(state, [_outcome(True)])
    assert kind == "recovered" and not state.failing
    assert AlertState.load(AlertState(7, {"a:b"}).dump()).failing == {"a:b"}
