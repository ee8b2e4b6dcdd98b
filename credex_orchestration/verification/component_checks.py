"""The checks on `<env>/databases` and `<env>/connectors`: read-only, non-blocking, ERROR when failed."""

from collections.abc import Iterator

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
from .results import CONNECTOR_CHECKS, DATABASE_CHECKS, connect, result, specs, unavailable


def build_databases_checks(environment: Environment) -> AssetChecksDefinition:
    key = naming.component_key(environment.name, "databases")

    @multi_asset_check(
        specs=specs(key, DATABASE_CHECKS, set()),
        name=f"{environment.name}__databases_checks",
        description=f"Neo4j instances, network exposure and credentials of {environment.name}.",
    )
    def databases_checks(context: AssetCheckExecutionContext, aws: AwsResource) -> Iterator[AssetCheckResult]:
        try:
            outcomes = databases.verify(connect(aws, environment), environment)
        except Exception as error:
            yield from unavailable(key, DATABASE_CHECKS, error)
            return
        for name in DATABASE_CHECKS:
            if not outcomes[name].passed:  # a pass says it in its evaluation; a failure also in the run log
                context.log.error(f"{environment.name}/databases {name}: {outcomes[name].reason}")
            yield result(key, name, outcomes[name], AssetCheckSeverity.ERROR)

    return databases_checks


def build_connectors_checks(environment: Environment) -> AssetChecksDefinition:
    key = naming.component_key(environment.name, "connectors")

    @multi_asset_check(
        specs=specs(key, CONNECTOR_CHECKS, set()),
        name=f"{environment.name}__connectors_checks",
        description=f"Load balancer, HTTPS listener and certificate of {environment.name}.",
    )
    def connectors_checks(
        context: AssetCheckExecutionContext, aws: AwsResource
    ) -> Iterator[AssetCheckResult]:
        try:
            outcomes = network.verify_connectors(connect(aws, environment), environment)
        except Exception as error:
            yield from unavailable(key, CONNECTOR_CHECKS, error)
            return
        for name in CONNECTOR_CHECKS:
            if not outcomes[name].passed:  # a pass says it in its evaluation; a failure also in the run log
                context.log.error(f"{environment.name}/connectors {name}: {outcomes[name].reason}")
            yield result(key, name, outcomes[name], AssetCheckSeverity.ERROR)

    return connectors_checks
