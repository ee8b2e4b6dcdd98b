"""Definitions of the notifications area: the run-failure sensor and its Slack resource."""

from dagster import Definitions

from ..environments import Environments
from .sensors import slack_on_run_failure
from .slack import slack_notifier


def build(environments: Environments) -> Definitions:
    """One sensor for every environment: the message names the environment from the run's tag."""
    return Definitions(sensors=[slack_on_run_failure], resources={"slack": slack_notifier()})
