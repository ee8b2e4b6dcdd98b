"""Definitions of the notifications area: the run-failure and failed-check sensors and their Slack resource."""

from dagster import Definitions

from ..automation import notification_status
from ..environments import Environments
from .check_sensor import build_check_sensor
from .sensors import build_run_failure_sensor
from .slack import slack_notifier


def build(environments: Environments) -> Definitions:
    """One sensor of each kind for every environment: messages name the environment from the run or asset.

    Both start running only when Slack is configured at load (SLACK_BOT_TOKEN): a fresh instance without
    it has every sensor and schedule stopped (docs/decisions/0151-safe-defaults.md).
    """
    notifier = slack_notifier()
    status = notification_status(notifier.configured)
    return Definitions(
        sensors=[build_run_failure_sensor(status), build_check_sensor(environments, status)],
        resources={"slack": notifier},
    )
