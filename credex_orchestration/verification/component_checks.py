"""The checks on `<env>/databases` and `<env>/connectors`: read-only, non-blocking, ERROR when failed."""

from collections.abc import Iterator

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    multi_asset_check,
)

from .. import naming
from ..environments import Environment
from ..resources import AwsResource
from . import databases, network
from .outcome import guarded
from .results import CONNECTOR_CHECKS, DATABASE_CHECKS, connect, result, specs, unavailable


def build_databases_checks(environment: Environment) -> AssetChecksDefinition:
    key = AssetKey([environment.name, "databases"])

    @multi_asset_check(
        specs=specs(key, DATABASE_CHECKS, set()),
        name=f"{environment.name}__databases_checks",
        description=f"Neo4j instances, network exposure and credentials of {environment.name}.",
    )
    def databases_checks(context: AssetCheckExecutionContext, aws: AwsResource) -> Iterator[AssetCheckResult]:
        try:
            session = connect(aws, environment)
            ec2, secrets = session.client("ec2"), session.client("secretsmanager")
        except Exception as error:
            yield from unavailable(key, DATABASE_CHECKS, error)
            return
        outcomes = {
            "neo4j_instances_running": guarded(
                "Neo4j instances", lambda: databases.instances_running(ec2, environment)
            ),
            "neo4j_reachable_only_from_app": guarded(
                "Neo4j security group", lambda: databases.neo4j_reachable_only_from_app(ec2, environment)
            ),
            "neo4j_secret_complete": guarded(
                "Neo4j secret", lambda: databases.secret_complete(secrets, environment)
            ),
        }
        for name in DATABASE_CHECKS:
            context.log.info(f"{environment.name}/databases {name}: {outcomes[name].reason}")
            yield result(key, name, outcomes[name], AssetCheckSeverity.ERROR)

    return databases_checks


def build_connectors_checks(environment: Environment) -> AssetChecksDefinition:
    key = AssetKey([environment.name, "connectors"])

    @multi_asset_check(
        specs=specs(key, CONNECTOR_CHECKS, set()),
        name=f"{environment.name}__connectors_checks",
        description=f"Load balancer, HTTPS listener and certificate of {environment.name}.",
    )
    def connectors_checks(
        context: AssetCheckExecutionContext, aws: AwsResource
    ) -> Iterator[AssetCheckResult]:
        try:
            session = connect(aws, environment)
            elbv2, acm = session.client("elbv2"), session.client("acm")
        except Exception as error:
            yield from unavailable(key, CONNECTOR_CHECKS, error)
            return
        balancer = naming.alb(environment)
        outcomes = {
            "load_balancer_active": guarded(
                "load balancer", lambda: network.load_balancer_active(elbv2, balancer)
            ),
            "https_listener": guarded("HTTPS listener", lambda: network.https_listener(elbv2, balancer)),
            "certificate_issued": guarded(
                "certificate", lambda: network.certificate_issued(elbv2, acm, balancer)
            ),
        }
        for name in CONNECTOR_CHECKS:
            context.log.info(f"{environment.name}/connectors {name}: {outcomes[name].reason}")
            yield result(key, name, outcomes[name], AssetCheckSeverity.ERROR)

    return connectors_checks
