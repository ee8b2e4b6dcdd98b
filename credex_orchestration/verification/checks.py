"""The asset checks of one environment: on `<env>/app` (checks 1-6 and rollback), `<env>/databases`, `<env>/connectors`.

Each component's checks are one multi-asset check, so they run in a fixed order in one step and the app's
step can act on its own blocking results (roll back) before it reports them. Blocking checks with ERROR
severity fail the step, which skips every later step of the run.
"""

import json
import math
from collections.abc import Callable, Iterator
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    AssetObservation,
    MetadataValue,
    multi_asset_check,
)

from .. import naming
from ..environments import Environment
from ..infrastructure.terraform_step import read_outputs
from ..lib.redact import Redactor
from ..resources import AwsResource, TerraformResource
from . import api, databases, ecs, integration, network, revisions, rollback
from .outcome import Outcome, describe_error, guarded

STABLE, STATUS, TARGETS, HEALTH, INTEGRATION, BENCHMARK = (
    "ecs_service_stable",
    "ecs_status",
    "load_balancer_targets_healthy",
    "api_health",
    "integration_tests",
    "performance_benchmark",
)
APP_CHECKS = (STABLE, STATUS, TARGETS, HEALTH, INTEGRATION, BENCHMARK)
BLOCKING = (STABLE, STATUS, HEALTH)
DATABASE_CHECKS = ("neo4j_instances_running", "neo4j_reachable_only_from_app", "neo4j_secret_complete")
CONNECTOR_CHECKS = ("load_balancer_active", "https_listener", "certificate_issued")

_DESCRIPTIONS = {
    STABLE: "PRIMARY deployment's rollout COMPLETED with running == desired, within the bound (blocking).",
    STATUS: "Cluster and service ACTIVE, running this run's task definition and image tag (blocking).",
    TARGETS: "Every target of the target group healthy.",
    HEALTH: 'GET /health answers 200 {"status":"healthy"} N times in a row within the budget (blocking).',
    INTEGRATION: "The integration suite against the base URL (read-only tests only in production).",
    BENCHMARK: "Bounded load: p50/p95/p99, throughput and error rate within the environment's thresholds.",
    "neo4j_instances_running": "LedgerSpace and SearchSpace instances running with status checks ok.",
    "neo4j_reachable_only_from_app": "The Neo4j security group admits only the ECS tasks' security group.",
    "neo4j_secret_complete": "The Neo4j secret holds exactly the six connection keys (values never read out).",
    "load_balancer_active": "The application load balancer is active.",
    "https_listener": "The load balancer has an HTTPS listener on 443.",
    "certificate_issued": "The HTTPS listener's certificate is ISSUED.",
}


def benchmark_blocks(environment: Environment) -> bool:
    return environment.verification.benchmark_blocking


def blocking_checks(environment: Environment) -> tuple[str, ...]:
    """Checks whose failure fails the run and rolls the app back (the benchmark per environment)."""
    return BLOCKING + ((BENCHMARK,) if benchmark_blocks(environment) else ())


def _value(value: Any) -> Any:
    if isinstance(value, dict | list | tuple):
        return MetadataValue.json(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return value


def result(key: AssetKey, name: str, outcome: Outcome, severity: AssetCheckSeverity) -> AssetCheckResult:
    metadata = {"reason": outcome.reason, **{k: _value(v) for k, v in outcome.metadata.items()}}
    return AssetCheckResult(
        asset_key=key,
        check_name=name,
        passed=outcome.passed,
        severity=severity,
        metadata=metadata,
        description=outcome.reason,
    )


def _specs(key: AssetKey, names: tuple[str, ...], blocking: set[str]) -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec(name, asset=key, blocking=name in blocking, description=_DESCRIPTIONS[name])
        for name in names
    ]


def connect(aws: AwsResource, environment: Environment) -> Any:
    """The environment's AWS session, refusing credentials of another account than the environment's."""
    session = aws.session(environment)
    if environment.aws.account_id:
        session.check_account(environment.aws.account_id)
    return session


def unavailable(key: AssetKey, names: tuple[str, ...], error: Exception) -> Iterator[AssetCheckResult]:
    """Every check failed, naming why AWS could not be reached (no traceback, nothing changed)."""
    reason = describe_error("AWS session", error)
    for name in names:
        yield result(key, name, Outcome.fail(reason), AssetCheckSeverity.ERROR)


def secret_redactor(session: Any, environment: Environment) -> Redactor:
    """The environment's secret values, read only to mask them in the app's log lines (never returned)."""
    redactor = Redactor()
    secrets = session.client("secretsmanager")
    for name in (naming.neo4j_secret(environment), naming.app_secret(environment)):
        try:
            document = json.loads(secrets.get_secret_value(SecretId=name).get("SecretString") or "{}")
        except Exception:  # an unreadable secret has nothing to mask; the secret check reports it
            continue
        redactor.add(document if isinstance(document, dict) else [])
    return redactor


def _deployed(environment: Environment, terraform: TerraformResource) -> tuple[str | None, str | None, str]:
    """Task definition ARN and image tag from the app's Terraform outputs (what the last deploy applied)."""
    try:
        outputs = read_outputs(environment, "app", terraform, ("task_definition_arn", "image_tag"))
    except Exception as error:  # reported by the status check, not raised
        return None, None, f"{type(error).__name__}: {error}"
    return str(outputs["task_definition_arn"]), str(outputs["image_tag"]), ""


def verify_app(
    context: AssetCheckExecutionContext,
    environment: Environment,
    terraform: TerraformResource,
    aws: AwsResource,
) -> Iterator[AssetCheckResult]:
    settings = environment.verification
    key = revisions.app_key(environment.name)
    log: Callable[[str], None] = context.log.info
    try:
        session = connect(aws, environment)
        ecs_client, logs_client, elbv2 = (
            session.client("ecs"),
            session.client("logs"),
            session.client("elbv2"),
        )
    except Exception as error:
        yield from unavailable(key, APP_CHECKS, error)
        return
    cluster, service = naming.ecs_cluster(environment), naming.ecs_service(environment)
    base_url = environment.base_url
    expected_arn, expected_tag, outputs_error = _deployed(environment, terraform)
    if outputs_error:
        context.log.warning(f"{environment.name}/app outputs unreadable: {outputs_error}")

    masks: list[Redactor] = []

    def redact(text: str) -> str:
        if not masks:  # read the secrets only when there is evidence to scrub
            masks.append(secret_redactor(session, environment))
        return masks[0](text)

    def wait_stable() -> Outcome:
        return guarded(
            "ECS rollout",
            lambda: ecs.wait_until_stable(
                ecs_client,
                logs_client,
                cluster=cluster,
                service=service,
                log_group=naming.log_group(environment),
                timeout_seconds=settings.rollout_timeout_seconds,
                poll_interval_seconds=settings.poll_interval_seconds,
                log_lines=settings.log_lines,
                log=log,
                redact=redact,
            ),
        )

    def health() -> Outcome:
        return guarded(
            "API health", lambda: api.health(base_url, settings.health, settings.request_timeout_seconds, log)
        )

    outcomes: dict[str, Outcome] = {STABLE: wait_stable()}
    outcomes[STATUS] = guarded(
        "ECS status",
        lambda: ecs.status(
            ecs_client,
            cluster=cluster,
            service=service,
            container=naming.CONTAINER_NAME,
            expected_task_definition=expected_arn,
            expected_image_tag=expected_tag,
        ),
    )
    if outputs_error:
        outcomes[STATUS].metadata["outputs_error"] = outputs_error
    outcomes[TARGETS] = guarded(
        "target health", lambda: network.targets_healthy(elbv2, naming.target_group(environment))
    )
    outcomes[HEALTH] = health()

    failed = [name for name in BLOCKING if not outcomes[name].passed]
    running = outcomes[STATUS].metadata.get("running_task_definition") or expected_arn
    if failed:
        skipped = f"not run: blocking check(s) failed ({', '.join(failed)})"
        outcomes[INTEGRATION] = Outcome.fail(skipped, not_run=True)
        outcomes[BENCHMARK] = Outcome.fail(skipped, not_run=True)
    else:
        outcomes[INTEGRATION] = guarded(
            "integration suite",
            lambda: integration.run_suite(
                base_url,
                read_only=settings.integration_read_only or environment.is_production,
                timeout_seconds=settings.integration_timeout_seconds,
                request_timeout_seconds=settings.request_timeout_seconds,
            ),
        )
        outcomes[BENCHMARK] = guarded(
            "benchmark",
            lambda: api.benchmark(base_url, settings.benchmark, settings.request_timeout_seconds, log),
        )
        failed = [name for name in blocking_checks(environment) if not outcomes[name].passed]
    if failed:
        why = "; ".join(f"{name}: {outcomes[name].reason}" for name in failed)
        record = _rollback(
            context, environment, ecs_client, cluster, service, running, why, wait_stable, health
        )
        for name in failed:
            outcomes[name].metadata["rollback"] = record
    else:
        revision = revisions.Revision(str(running), str(expected_tag or ""), context.run.run_id)
        context.op_execution_context.log_event(revisions.verified_observation(environment.name, revision))
        log(f"{environment.name}: {running} passed every blocking check; recorded as the last good revision")

    for name in APP_CHECKS:
        outcome = outcomes[name]
        severity = AssetCheckSeverity.ERROR
        if outcome.metadata.get("not_run") or (name == BENCHMARK and not benchmark_blocks(environment)):
            severity = AssetCheckSeverity.WARN
        yield result(key, name, outcome, severity)


def _rollback(
    context: AssetCheckExecutionContext,
    environment: Environment,
    ecs_client: Any,
    cluster: str,
    service: str,
    running: str | None,
    why: str,
    wait_stable: Callable[[], Outcome],
    health: Callable[[], Outcome],
) -> dict[str, Any]:
    instance, run_id = context.instance, context.run.run_id
    last_good = revisions.last_verified(instance, environment.name)
    deployed = revisions.materialised_in_run(instance, environment.name, run_id)
    not_now = rollback.decide(deployed_in_run=deployed, current=running, last_good=last_good)
    if not_now:
        context.log.warning(f"{environment.name}: blocking check(s) failed ({why}); {not_now}")
        return {
            "rolled_back": False,
            "why_not": not_now,
            "failed": why,
            "current_task_definition": running or "",
        }
    assert last_good is not None
    try:
        record = rollback.roll_back(
            ecs_client,
            cluster=cluster,
            service=service,
            current=running,
            to=last_good,
            why=why,
            wait_stable=wait_stable,
            health=health,
            log=context.log.warning,
        )
    except Exception as error:
        context.log.error(f"{environment.name}: rollback to {last_good.task_definition_arn} failed: {error}")
        return {"rolled_back": False, "error": f"{type(error).__name__}: {error}", "failed": why}
    context.op_execution_context.log_event(
        AssetObservation(
            asset_key=revisions.app_key(environment.name),
            description=f"rolled back to {last_good.task_definition_arn}",
            metadata={k: _value(v) for k, v in record.items()},
            tags={"credex/verification": "rolled_back"},
        )
    )
    return record


def build_app_checks(environment: Environment) -> AssetChecksDefinition:
    key = revisions.app_key(environment.name)
    blocking = set(blocking_checks(environment))

    @multi_asset_check(
        specs=_specs(key, APP_CHECKS, blocking),
        name=f"{environment.name}__app_checks",
        description=f"Post-deploy verification of {environment.name}/app; rolls back on a blocking failure.",
    )
    def app_checks(
        context: AssetCheckExecutionContext, terraform: TerraformResource, aws: AwsResource
    ) -> Iterator[AssetCheckResult]:
        yield from verify_app(context, environment, terraform, aws)

    return app_checks


def build_databases_checks(environment: Environment) -> AssetChecksDefinition:
    key = AssetKey([environment.name, "databases"])

    @multi_asset_check(
        specs=_specs(key, DATABASE_CHECKS, set()),
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
        specs=_specs(key, CONNECTOR_CHECKS, set()),
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


def environment_checks(environment: Environment) -> list[AssetChecksDefinition]:
    return [
        build_connectors_checks(environment),
        build_databases_checks(environment),
        build_app_checks(environment),
    ]
