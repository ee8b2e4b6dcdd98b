"""What every check module shares: check names, specs, and turning an `Outcome` into an `AssetCheckResult`."""

import math
from collections.abc import Iterator, Mapping
from typing import Any

from dagster import (
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    AssetObservation,
    MetadataValue,
)

from .. import naming
from ..environments import Environment
from ..resources import AwsResource
from .outcome import Outcome, describe_error

STABLE, STATUS, TARGETS, HEALTH, INTEGRATION, BENCHMARK = (
    "ecs_service_stable",
    "ecs_status",
    "load_balancer_targets_healthy",
    "api_health",
    "integration_tests",
    "performance_benchmark",
)
TASKS, AUTHENTICATION = "ecs_tasks_current", "api_authentication"
APP_CHECKS = (STABLE, STATUS, TASKS, TARGETS, HEALTH, AUTHENTICATION, INTEGRATION, BENCHMARK)
BLOCKING = (STABLE, STATUS, HEALTH)
# Findings: reported as warnings, never blocking (a rollback would not change them).
FINDINGS = (AUTHENTICATION,)
# Numbers of the benchmark recorded on `<env>/app` as an observation, so the asset's Plots tab shows them
# across runs (check metadata is not plotted).
PLOTTED = ("p50_ms", "p95_ms", "p99_ms", "throughput_rps", "error_rate", "measured", "achieved_rate_rps")
DATABASE_CHECKS = ("neo4j_instances_running", "neo4j_reachable_only_from_app", "neo4j_secret_complete")
CONNECTOR_CHECKS = ("load_balancer_active", "https_listener", "certificate_issued")

_DESCRIPTIONS = {
    STABLE: "PRIMARY deployment's rollout COMPLETED with running == desired, within the bound (blocking).",
    STATUS: "Cluster and service ACTIVE, running this run's task definition and image tag (blocking).",
    TASKS: "The running tasks run the deployed task definition and image and started after the Neo4j and "
    "app secrets (credentials, Neo4j addresses) last changed.",
    AUTHENTICATION: "Finding (warning): which data routes answer without a token (credex-core mounts its "
    "routes before its authentication).",
    TARGETS: "Every target of the target group healthy.",
    HEALTH: 'GET /health answers 200 {"status":"healthy"} N times in a row within the budget (blocking).',
    INTEGRATION: "The integration suite against the base URL (read-only tests only in production).",
    BENCHMARK: "Steady load inside the app's rate limit: p50/p95/p99, throughput and error rate within the "
    "environment's thresholds (plotted on the asset).",
    "neo4j_instances_running": "LedgerSpace and SearchSpace instances running with status checks ok.",
    "neo4j_reachable_only_from_app": "The Neo4j security group admits only the ECS tasks' security group.",
    "neo4j_secret_complete": "The Neo4j secret holds exactly the six connection keys (values never read out).",
    "load_balancer_active": "The application load balancer is active.",
    "https_listener": "The load balancer has an HTTPS listener on 443.",
    "certificate_issued": "The HTTPS listener's certificate is ISSUED.",
}


POST_DEPLOY_CHECKS = {"connectors": CONNECTOR_CHECKS, "databases": DATABASE_CHECKS, "app": APP_CHECKS}


def post_deploy_check_keys(
    environment: Environment, components: tuple[str, ...] | None = None
) -> list[AssetCheckKey]:
    """The post-deploy checks of `components` (default all) of the environment; none when verification is off.

    Deploy and verify jobs select exactly these: other areas' checks on the same assets (drift, freshness)
    belong to their schedules.
    """
    if not environment.verification.enabled:
        return []
    return [
        AssetCheckKey(naming.component_key(environment.name, component), name)
        for component, names in POST_DEPLOY_CHECKS.items()
        if components is None or component in components
        for name in names
    ]


def benchmark_blocks(environment: Environment) -> bool:
    return environment.verification.benchmark_blocking


def blocking_checks(environment: Environment) -> tuple[str, ...]:
    """Checks whose failure fails the run and rolls the app back (the benchmark per environment)."""
    return BLOCKING + ((BENCHMARK,) if benchmark_blocks(environment) else ())


def severity(environment: Environment, name: str, outcome: Outcome) -> AssetCheckSeverity:
    """WARN for what must never block: not run, inconclusive (rate limited), findings, a non-blocking benchmark."""
    if outcome.metadata.get("not_run") or outcome.inconclusive or name in FINDINGS:
        return AssetCheckSeverity.WARN
    if name == BENCHMARK and not benchmark_blocks(environment):
        return AssetCheckSeverity.WARN
    return AssetCheckSeverity.ERROR


def metadata_value(value: Any) -> Any:
    """A missing number is null, never text in its place (a plot skips null; it cannot plot "")."""
    if isinstance(value, dict | list | tuple):
        return MetadataValue.json(value)
    if isinstance(value, float) and math.isnan(value):
        return MetadataValue.float(value)  # a missing figure stays a float: the UI plots it as a gap
    if value is None:
        return MetadataValue.null()
    if isinstance(value, float):
        return MetadataValue.float(value)
    return value


def observations(environment: Environment, outcomes: Mapping[str, Outcome]) -> list[AssetObservation]:
    """The benchmark's numbers as an observation on `<env>/app` (only those measured, each a float)."""
    benchmark = outcomes.get(BENCHMARK)
    if benchmark is None or benchmark.metadata.get("not_run"):
        return []
    numbers = {
        f"benchmark_{name}": MetadataValue.float(float(value))
        for name in PLOTTED
        if isinstance(value := benchmark.metadata.get(name), int | float) and not math.isnan(value)
    }
    if not numbers:  # nothing measured (inconclusive, unreachable): nothing to plot
        return []
    thresholds = benchmark.metadata.get("thresholds") or {}
    for name in ("max_p50_ms", "max_p95_ms", "max_p99_ms"):
        if isinstance(thresholds.get(name), int | float):
            numbers[f"benchmark_{name}"] = MetadataValue.float(float(thresholds[name]))
    return [
        AssetObservation(
            asset_key=naming.component_key(environment.name, "app"),
            description=f"benchmark: {benchmark.reason}",
            metadata=numbers,
            tags={"credex/verification": "benchmark"},
        )
    ]


def result(key: AssetKey, name: str, outcome: Outcome, severity: AssetCheckSeverity) -> AssetCheckResult:
    metadata = {"reason": outcome.reason, **{k: metadata_value(v) for k, v in outcome.metadata.items()}}
    return AssetCheckResult(
        asset_key=key,
        check_name=name,
        passed=outcome.passed,
        severity=severity,
        metadata=metadata,
        description=outcome.reason,
    )


def specs(key: AssetKey, names: tuple[str, ...], blocking: set[str]) -> list[AssetCheckSpec]:
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
