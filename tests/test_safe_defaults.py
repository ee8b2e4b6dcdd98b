"""Nothing that acts on AWS runs until turned on: every schedule and sensor of the code location starts
STOPPED, except the schedules of environments the environments file opts in, and those only on the instance
that says it runs automation (CREDEX_AUTOMATION=environments-file). Notification sensors (Slack only) run
when Slack is configured."""

from __future__ import annotations

import pytest
from dagster import DefaultScheduleStatus, DefaultSensorStatus

from credex_orchestration.automation import AUTOMATION_FROM_FILE, AUTOMATION_VARIABLE
from credex_orchestration.definitions import build_definitions
from credex_orchestration.environments import load_environments

NOTIFICATION_SENSORS = {"slack_on_run_failure", "slack_on_failed_check"}


def _statuses(environments):
    repository = build_definitions(environments).get_repository_def()
    schedules = {s.name: s.default_status for s in repository.schedule_defs}
    sensors = {s.name: s.default_status for s in repository.sensor_defs}
    assert schedules and sensors
    return schedules, sensors


def test_a_laptop_load_of_the_checked_in_file_starts_nothing() -> None:
    """`bash scripts/dev` with real credentials: no CREDEX_AUTOMATION, no Slack token."""
    schedules, sensors = _statuses(load_environments())
    assert set(schedules.values()) == {DefaultScheduleStatus.STOPPED}, schedules
    assert set(sensors.values()) == {DefaultSensorStatus.STOPPED}, sensors


def test_the_automation_instance_runs_only_the_schedules_of_opted_in_environments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(AUTOMATION_VARIABLE, AUTOMATION_FROM_FILE)
    environments = load_environments()
    opted = {name for name, env in environments.items() if env.automation.schedules_running}
    assert opted == {"production"}  # as environments.yaml says today
    schedules, sensors = _statuses(environments)
    running = {name for name, status in schedules.items() if status == DefaultScheduleStatus.RUNNING}
    assert running == {"backup_production_schedule", "backup_freshness_production_schedule"}
    assert set(sensors.values()) == {DefaultSensorStatus.STOPPED}  # triggers are turned on by hand


def test_notification_sensors_run_when_slack_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token-not-real")
    _, sensors = _statuses(load_environments())
    running = {name for name, status in sensors.items() if status == DefaultSensorStatus.RUNNING}
    assert running == NOTIFICATION_SENSORS
