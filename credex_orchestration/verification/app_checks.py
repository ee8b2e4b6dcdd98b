"""Checks 1-6 on `<env>/app`, and the rollback when a blocking one fails (docs/decisions/0021).

One multi-asset check runs them in order in one step, so the step can act on its own blocking results
(roll back) before it reports them. Blocking checks with ERROR severity fail the step, which skips every
later step of the run.
"""

import json
from collections.abc import Callable, Iterator
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetObservation,
    multi_asset_check,
)

from .. import naming
from ..environments import Environment
from ..infrastructure.terraform_step import read_outputs
from ..lib.redact import Redactor
from ..resources import AwsResource, TerraformResource
from . import api, ecs, integration, network, revisions, rollback
from .outcome import Outcome, guarded
from .results import (
    APP_CHECKS,
    BENCHMARK,
    BLOCKING,
    HEALTH,
    INTEGRATION,
    STABLE,
    STATUS,
    TARGETS,
    benchmark_blocks,
    blocking_checks,
    connect,
    metadata_value,
    result,
    specs,
    unavailable,
)


def integration_read_only(environment: Environment) -> bool:
    """Production never runs the data-creating tests, whatever its settings say."""
    return environment.verification.integration_read_only or environment.is_production


def secret_redactor(session: Any, environment: Environment) -> Redactor:
    """The environment's secret values, read only to mask them in the app's log lines (never returned)."""
    redactor = Redactor()
    secrets = session.client("secretsmanager")
    for name in (naming.neo4j_secret(environment), naming.app_secret(environment)):
        try:
            text = secrets.get_secret_value(SecretId=name).get("SecretString") or ""
        except Exception:  # an unreadable secret has nothing to mask; the secret check reports it
            continue
        try:
            document = json.loads(text)
        except ValueError:
            document = None
        # A JSON object's values are masked one by one; any other secret is masked whole.
        redactor.add(document if isinstance(document, dict) else text)
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
                read_only=integration_read_only(environment),
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
            metadata={k: metadata_value(v) for k, v in record.items()},
            tags={"credex/verification": "rolled_back"},
        )
    )
    return record


def build_app_checks(environment: Environment) -> AssetChecksDefinition:
    key = revisions.app_key(environment.name)
    blocking = set(blocking_checks(environment))

    @multi_asset_check(
        specs=specs(key, APP_CHECKS, blocking),
        name=f"{environment.name}__app_checks",
        description=f"Post-deploy verification of {environment.name}/app; rolls back on a blocking failure.",
    )
    def app_checks(
        context: AssetCheckExecutionContext, terraform: TerraformResource, aws: AwsResource
    ) -> Iterator[AssetCheckResult]:
        yield from verify_app(context, environment, terraform, aws)

    return app_checks
