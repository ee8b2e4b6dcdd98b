"""Checks 1-6 on `<env>/app`, and the rollback when a blocking one fails (docs/decisions/0021).

One multi-asset check runs them in order in one step, so the step can act on its own blocking results
(roll back) before it reports them. Blocking checks with ERROR severity fail the step, which skips every
later step of the run.
"""

from collections.abc import Iterator
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
from ..resources import AwsResource, TerraformResource
from . import revisions, rollback
from .app import AppVerification
from .results import (
    APP_CHECKS,
    BENCHMARK,
    benchmark_blocks,
    blocking_checks,
    metadata_value,
    result,
    specs,
    unavailable,
)


def verify_app(
    context: AssetCheckExecutionContext,
    environment: Environment,
    terraform: TerraformResource,
    aws: AwsResource,
) -> Iterator[AssetCheckResult]:
    key = revisions.app_key(environment.name)
    try:
        verification = AppVerification.connect(environment, aws, terraform, context.log.info)
    except Exception as error:
        yield from unavailable(key, APP_CHECKS, error)
        return
    if verification.outputs_error:
        context.log.warning(f"{environment.name}/app outputs unreadable: {verification.outputs_error}")
    outcomes = verification.run()
    running = verification.running(outcomes)
    failed = [
        name
        for name in blocking_checks(environment)
        if not outcomes[name].passed and not outcomes[name].metadata.get("not_run")
    ]
    if failed:
        why = "; ".join(f"{name}: {outcomes[name].reason}" for name in failed)
        record = _rollback(context, verification, running, why)
        for name in failed:
            outcomes[name].metadata["rollback"] = record
    else:
        revision = revisions.Revision(str(running), str(verification.expected_tag or ""), context.run.run_id)
        context.op_execution_context.log_event(revisions.verified_observation(environment.name, revision))
        where = _record_in_aws(context, verification, revision, live_only=False)
        context.log.info(
            f"{environment.name}: {running} (image {revision.image_tag}) passed every blocking check; recorded as "
            f"the last good revision ({where})"
        )

    for name in APP_CHECKS:
        outcome = outcomes[name]
        severity = AssetCheckSeverity.ERROR
        if outcome.metadata.get("not_run") or (name == BENCHMARK and not benchmark_blocks(environment)):
            severity = AssetCheckSeverity.WARN
        yield result(key, name, outcome, severity)


def _record_in_aws(
    context: AssetCheckExecutionContext,
    verification: AppVerification,
    revision: revisions.Revision,
    *,
    live_only: bool,
) -> str:
    """Write the verified (and live) revision to the environment's SSM parameters; where it went, or why not."""
    environment = verification.environment.name
    names = [naming.live_revision_parameter(environment)]
    if not live_only:
        names.insert(0, naming.verified_revision_parameter(environment))
    try:
        ssm = verification.session.client("ssm")
        for name in names:
            revisions.record_in_aws(ssm, name, revision)
    except Exception as error:
        context.log.warning(f"{environment}: could not record {revision.task_definition_arn} in AWS: {error}")
        return f"not in AWS: {type(error).__name__}"
    return ", ".join(f"ssm:{name}" for name in names)


def _rollback(
    context: AssetCheckExecutionContext, verification: AppVerification, running: str | None, why: str
) -> dict[str, Any]:
    """Roll the service back to the last revision that passed, when this run deployed the app."""
    environment = verification.environment
    instance, run_id = context.instance, context.run.run_id
    try:
        last_good = revisions.last_verified(instance, environment.name, verification.session.client("ssm"))
    except Exception as error:  # AWS's record unreadable: the instance's record is the fallback
        context.log.warning(
            f"{environment.name}: the revision record in AWS is unreadable ({error}); using the instance's"
        )
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
            verification.ecs,
            cluster=verification.cluster,
            service=verification.service,
            current=running,
            to=last_good,
            why=why,
            wait_stable=verification.wait_stable,
            health=verification.health,
            log=context.log.warning,
        )
    except Exception as error:
        context.log.error(f"{environment.name}: rollback to {last_good.task_definition_arn} failed: {error}")
        return {"rolled_back": False, "error": f"{type(error).__name__}: {error}", "failed": why}
    record["live_record"] = _record_in_aws(context, verification, last_good, live_only=True)
    record["live_image_tag"] = last_good.image_tag
    context.log.warning(
        f"{environment.name}: live SHA is now {last_good.image_tag} ({last_good.task_definition_arn}); the app's "
        f"Terraform state still names the rolled-back image {verification.expected_tag}: the next deploy without "
        f"git_sha deploys the live {last_good.image_tag}; give git_sha of a fixed commit to move on"
    )
    context.op_execution_context.log_event(
        AssetObservation(
            asset_key=revisions.app_key(environment.name),
            description=f"rolled back to {last_good.task_definition_arn}",
            metadata={k: metadata_value(v) for k, v in record.items()},
            tags={naming.VERIFICATION_TAG: "rolled_back"},
        )
    )
    return record


def build_app_checks(environment: Environment) -> AssetChecksDefinition:
    key = revisions.app_key(environment.name)
    blocking = set(blocking_checks(environment))

    @multi_asset_check(
        specs=specs(key, APP_CHECKS, blocking),
        name=f"{environment.name}__app_checks",
        pool=naming.environment_pool(environment.name),
        description=f"Post-deploy verification of {environment.name}/app; rolls back on a blocking failure.",
    )
    def app_checks(
        context: AssetCheckExecutionContext, terraform: TerraformResource, aws: AwsResource
    ) -> Iterator[AssetCheckResult]:
        yield from verify_app(context, environment, terraform, aws)

    return app_checks
