"""Default status of schedules and sensors: nothing that acts on AWS runs until someone turns it on.

An environment's schedules start RUNNING only when the environments file opts the environment in
(`automation.schedules_running`) AND the instance says it is the one that runs automation
(`CREDEX_AUTOMATION=environments-file`, set on the production instance's code server). A laptop running
`bash scripts/dev` with real credentials therefore starts nothing on its own, production included
(docs/decisions/0151-safe-defaults.md). Reading one environment variable at load makes no network call.
"""

from __future__ import annotations

import os

from dagster import DefaultScheduleStatus, DefaultSensorStatus

from .environments import Environment

AUTOMATION_VARIABLE = "CREDEX_AUTOMATION"
AUTOMATION_FROM_FILE = "environments-file"


def instance_runs_automation() -> bool:
    return os.environ.get(AUTOMATION_VARIABLE, "").strip() == AUTOMATION_FROM_FILE


def schedule_status(environment: Environment) -> DefaultScheduleStatus:
    if environment.automation.schedules_running and instance_runs_automation():
        return DefaultScheduleStatus.RUNNING
    return DefaultScheduleStatus.STOPPED


def notification_status(configured: bool) -> DefaultSensorStatus:
    """Notification sensors act on Slack only, never on AWS: running when Slack is configured at load."""
    return DefaultSensorStatus.RUNNING if configured else DefaultSensorStatus.STOPPED
