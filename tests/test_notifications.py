"""The run-failure sensor, posting to a real HTTP server on loopback that stands in for Slack's Web API."""

from __future__ import annotations

import pytest
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    DagsterInstance,
    Definitions,
    SkipReason,
    asset,
    asset_check,
    build_run_status_sensor_context,
    define_asset_job,
)

from credex_orchestration.definitions import build_definitions
from credex_orchestration.deploy.config import deploy_run_config
from credex_orchestration.notifications.sensors import slack_on_run_failure
from credex_orchestration.notifications.slack import SlackNotifier, slack_notifier
from credex_orchestration.resources import AwsResource

from .support.deploys import fixture_deploy_overrides
from .support.environments import local_environments
from .support.slack import SlackApiStandIn

TOKEN = "xoxb-test-token-not-real"


@pytest.fixture
def slack_api():
    with SlackApiStandIn() as server:
        yield server


def _notifier(slack_api: SlackApiStandIn, token: str | None = TOKEN) -> SlackNotifier:
    return SlackNotifier(
        token=token, channel="#deploys", base_url=slack_api.base_url, webserver_url="http://dagster.test/"
    )


def _evaluate(result, instance: DagsterInstance, notifier: SlackNotifier):
    context = build_run_status_sensor_context(
        sensor_name="slack_on_run_failure",
        dagster_event=result.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        resources={"slack": notifier},
    ).for_run_failure()
    return slack_on_run_failure(context)


def _failed_deploy(tmp_path, terraform, instance: DagsterInstance, **tags: str):
    """A real deploy of development that fails at databases: no Neo4j AMI is recorded or pinned."""
    environments = local_environments(tmp_path, fixture_deploy_overrides("development", pin_ami=False))
    defs = build_definitions(environments, resources={"terraform": terraform, "aws": AwsResource()})
    result = defs.resolve_job_def("deploy_development").execute_in_process(
        run_config=deploy_run_config(environments["development"], git_sha="abc1234"),
        instance=instance,
        raise_on_error=False,
        tags=tags,
    )
    assert not result.success
    return result


def test_a_failed_deploy_posts_environment_component_sha_error_and_link(
    tmp_path, terraform, slack_api
) -> None:
    instance = DagsterInstance.ephemeral()
    result = _failed_deploy(tmp_path, terraform, instance)
    assert _evaluate(result, instance, _notifier(slack_api)) is None

    [message] = slack_api.messages()
    assert message.headers["Authorization"] == f"Bearer {TOKEN}"
    assert message.body["channel"] == "#deploys"
    text = message.body["text"]
    run_id = result.dagster_run.run_id
    assert "*deploy_development failed* in *development*" in text
    assert "component: databases (step development__databases)" in text
    assert "SHA: abc1234" in text  # from the run config when no trigger tagged the run
    assert "needs a Neo4j community AMI" in text  # the user's error, not Dagster's wrapper
    assert f"<http://dagster.test/runs/{run_id}|Open run {run_id[:8]} in Dagster>" in text
    assert "failed check" not in text and TOKEN not in text


def test_a_failed_blocking_check_is_named_with_its_asset(slack_api) -> None:
    """A stand-in asset and check under development/app (the real checks belong to verification)."""

    @asset(key=AssetKey(["development", "app"]))
    def app() -> None:
        return None

    @asset_check(asset=app, name="rollout_completed", blocking=True)
    def rollout_completed() -> AssetCheckResult:
        return AssetCheckResult(
            passed=False,
            severity=AssetCheckSeverity.ERROR,
            description="PRIMARY deployment rolloutState is FAILED (circuit breaker rolled back)",
        )

    job = define_asset_job(
        "deploy_development", selection=[app.key], tags={"credex/environment": "development"}
    )
    defs = Definitions(assets=[app], asset_checks=[rollout_completed], jobs=[job])
    instance = DagsterInstance.ephemeral()
    result = defs.resolve_job_def("deploy_development").execute_in_process(
        instance=instance, raise_on_error=False, tags={"credex/sha": "0123456789abcdef"}
    )
    assert not result.success
    _evaluate(result, instance, _notifier(slack_api))

    [message] = slack_api.messages()
    text = message.body["text"]
    assert "in *development*" in text and "component: app" in text and "SHA: 0123456789abcdef" in text
    assert (
        "failed check: development/app `rollout_completed`: PRIMARY deployment rolloutState is FAILED" in text
    )


def test_without_a_token_nothing_is_posted_and_nothing_fails(tmp_path, terraform, slack_api) -> None:
    instance = DagsterInstance.ephemeral()
    result = _failed_deploy(tmp_path, terraform, instance, **{"credex/sha": "abc1234"})
    outcome = _evaluate(result, instance, _notifier(slack_api, token=None))
    assert isinstance(outcome, SkipReason) and "SLACK_BOT_TOKEN" in outcome.skip_message
    assert slack_api.requests == []


def test_the_code_location_carries_the_sensor_and_loads_without_calling_slack(
    environments, slack_api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_API_URL", slack_api.base_url)
    monkeypatch.setenv("DAGSTER_WEBSERVER_URL", "https://dagster.credex.internal")
    defs = build_definitions(environments)
    sensor = defs.resolve_sensor_def("slack_on_run_failure")
    assert sensor.default_status.value == "RUNNING"
    notifier = defs.resources["slack"]
    assert isinstance(notifier, SlackNotifier) and notifier.configured
    assert notifier.run_url("r1") == "https://dagster.credex.internal/runs/r1"
    assert slack_api.requests == []  # building the code location made no call to Slack

    monkeypatch.delenv("SLACK_BOT_TOKEN")
    assert not slack_notifier().configured


def test_many_failed_checks_are_capped_and_the_failed_step_names_the_component() -> None:
    from credex_orchestration.notifications.message import FailedCheck, FailureReport

    checks = tuple(FailedCheck("staging/app", f"check_{i}", None) for i in range(7))
    text = FailureReport(
        job="deploy_staging",
        run_id="0123456789abcdef",
        environment="staging",
        component="databases",
        sha=None,
        failed_steps=("staging__databases",),
        failed_checks=checks,
        error=None,
        run_url=None,
    ).text()
    assert text.count("• failed check:") == 5 and "and 2 more failed checks" in text
    assert "SHA: not given (the deployed image)" in text and text.endswith("run 0123456789abcdef")
