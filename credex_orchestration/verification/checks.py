"""The separate asset checks of one environment: on `<env>/databases` and `<env>/connectors`.

The app's checks 1-6 run inside the app's own step (components/app_verification.py), which rolls back.
"""

from dagster import AssetChecksDefinition

from ..environments import Environment
from .app import secret_redactor
from .component_checks import build_connectors_checks, build_databases_checks
from .results import APP_CHECKS, BLOCKING, CONNECTOR_CHECKS, DATABASE_CHECKS

__all__ = [
    "APP_CHECKS",
    "BLOCKING",
    "CONNECTOR_CHECKS",
    "DATABASE_CHECKS",
    "environment_checks",
    "secret_redactor",
]


def environment_checks(environment: Environment) -> list[AssetChecksDefinition]:
    return [
        build_connectors_checks(environment),
        build_databases_checks(environment),
    ]
