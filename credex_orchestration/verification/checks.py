"""The asset checks of one environment: on `<env>/app` (checks 1-6 and rollback), `<env>/databases`, `<env>/connectors`."""

from dagster import AssetChecksDefinition

from ..environments import Environment
from .app import secret_redactor
from .app_checks import build_app_checks
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
        build_app_checks(environment),
    ]
