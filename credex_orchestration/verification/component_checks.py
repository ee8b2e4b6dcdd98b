"""The checks on `<env>/databases` and `<env>/connectors`: read-only, non-blocking, ERROR when failed."""

from collections.abc import Callable, Iterator
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    multi_asset_check,
)

from .. import naming
from ..environments import Environment
from ..resources import AwsResource
from . import databases, network
from .outcome import Outcome
from .results import CONNECTOR_CHECKS, DATABASE_CHECKS, connect, result, specs, unavailable

Verify = Callable[[Any, Environment], dict[str, Outcome]]


def _component_checks(
    environment: Environment, component: str, checks: tuple[str, ...], verify: Verify, description: str
) -> AssetChecksDefinition:
    key = naming.component_key(environment.name, component)

    @multi_asset_check(
        specs=specs(key, checks, set()),
        name=f"{environment.name}__{component}_checks",
        description=description,
    )
    def component_checks(context: AssetCheckExecutionContext, aws: AwsResource) -> Iterator[AssetCheckResult]:
        try:
            outcomes = verify(connect(aws, environment), environment)
        except Exception as error:
            yield from unavailable(key, checks, error)
            return
        for name in checks:
            if not outcomes[name].passed:  # a pass says it in its evaluation; a failure also in the run log
                context.log.error(f"{environment.name}/{component} {name}: {outcomes[name].reason}")
            yield result(key, name, outcomes[name], AssetCheckSeverity.ERROR)

    return component_checks


def build_databases_checks(environment: Environment) -> AssetChecksDefinition:
    return _component_checks(
        environment,
        "databases",
        DATABASE_CHECKS,
        databases.verify,
        f"Neo4j instances, network exposure and credentials of {environment.name}.",
    )


def build_connectors_checks(environment: Environment) -> AssetChecksDefinition:
    return _component_checks(
        environment,
        "connectors",
        CONNECTOR_CHECKS,
        network.verify_connectors,
        f"Load balancer, HTTPS listener and certificate of {environment.name}.",
    )
