"""The app deploy's own verification: checks 1-6 after the apply, and the rollback when a blocking one fails.

The app asset runs this in its own step, right after the apply (docs/decisions/0021, 0091): it knows whether
it deployed a new revision, so it rolls back only what it deployed. Run without the deploy (the
`verify_<env>` job selects the checks alone), it only reports. The judgments themselves live in
`verification/` (`AppVerification`); what to do about them lives here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetObservation,
    Failure,
)

from .. import naming
from ..environments import Environment
from ..lib import ecr
from ..resources import AwsResource, TerraformResource
from ..verification import revisions, rollback
from ..verification.app import AppVerification
from ..verification.results import (
    APP_CHECKS,
    blocking_checks,
    metadata_value,
    observations,
    result,
    severity,
    specs,
    unavailable,
)


def app_check_specs(environment: Environment) -> list[AssetCheckSpec]:
    """Checks 1-6 on `<env>/app` (none when the environment's verification is off)."""
    if not environment.verification.enabled:
        return []
    key = naming.component_key(environment.name, "app")
    return specs(key, APP_CHECKS, set(blocking_checks(environment)))


def verify_app(
    context: AssetExecutionContext,
    environment: Environment,
    terraform: TerraformResource,
    aws: AwsResource,
    *,
    deployed: bool,
) -> Iterator[AssetCheckResult]:
    """Checks 1-6; with `deployed` (this step applied the app), a blocking failure rolls the service back.

    A blocking failure ends the step with a `Failure` naming the cause, the rollback and the remedy.
    """
    key = naming.component_key(environment.name, "app")
    try:
        verification = AppVerification.connect(environment, aws, terraform, context.log.info)
    except Exception as error:
        yield from unavailable(key, APP_CHECKS, error)
        return
    if verification.outputs_error:
        context.log.warning(f"{environment.name}/app outputs unreadable: {verification.outputs_error}")
    outcomes = verification.run()
    for observation in observations(environment, outcomes):  # the benchmark's numbers, plotted on the asset
        context.log_event(observation)
    running = verification.running(outcomes)
    # Inconclusive (rate limited) is never a failure: no rollback, and no record of a verified revision.
    failed = [
        name
        for name in blocking_checks(environment)
        if not outcomes[name].passed
        and not outcomes[name].metadata.get("not_run")
        and not outcomes[name].inconclusive
    ]
    undecided = [name for name in blocking_checks(environment) if outcomes[name].inconclusive]
    if failed:
        why = "; ".join(f"{name}: {outcomes[name].reason}" for name in failed)
        record = roll_back_if_deployed(context, verification, running, why, deployed=deployed)
        for name in failed:
            outcomes[name].metadata["rollback"] = record
    elif undecided:
        context.log.warning(
            f"{environment.name}: {', '.join(undecided)} inconclusive (rate limited): no rollback, and {running} "
            "is not recorded as the last good revision"
        )
    else:
        revision = revisions.Revision(str(running), str(verification.expected_tag or ""), context.run.run_id)
        context.log_event(revisions.verified_observation(environment.name, revision))
        where = _record_in_aws(context, verification, revision, live_only=False)
        keep_image(context, verification, revision.image_tag)
        context.log.info(
            f"{environment.name}: {running} (image {revision.image_tag}) passed every blocking check; recorded as "
            f"the last good revision ({where})"
        )

    for name in APP_CHECKS:
        yield result(key, name, outcomes[name], severity(environment, name, outcomes[name]))
    if failed:
        # The run page's first error: the cause and the remedy (Dagster's own names only the checks).
        summary = rollback.failure_summary(f"{environment.name}/app", why, record)
        raise Failure(description=summary, allow_retries=False)


def _record_in_aws(
    context: AssetExecutionContext,
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


def keep_image(context: AssetExecutionContext, verification: AppVerification, image_tag: str) -> None:
    """Tag the verified image `verified-<sha>` so ECR's lifecycle rule never expires what a rollback needs."""
    repository = naming.ecr_repository(verification.environment)
    try:
        tag = ecr.mark_verified(verification.session.client("ecr"), repository, image_tag)
    except Exception as error:  # the revision is recorded; only its protection from expiry is missing
        context.log.warning(f"{repository}:{image_tag} not marked verified ({type(error).__name__}: {error})")
        return
    context.log.info(f"{repository}:{image_tag} also tagged {tag}: kept by the lifecycle policy")


def roll_back_if_deployed(
    context: AssetExecutionContext,
    verification: AppVerification,
    running: str | None,
    why: str,
    *,
    deployed: bool,
) -> dict[str, Any]:
    """Roll the service back to the last revision that passed, when this step deployed the app."""
    environment = verification.environment
    try:
        last_good = revisions.last_verified(
            context.instance, environment.name, verification.session.client("ssm")
        )
    except Exception as error:  # AWS's record unreadable: the instance's record is the fallback
        context.log.warning(
            f"{environment.name}: the revision record in AWS is unreadable ({error}); using the instance's"
        )
        last_good = revisions.last_verified(context.instance, environment.name)
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
    context.log_event(
        AssetObservation(
            asset_key=naming.component_key(environment.name, "app"),
            description=f"rolled back to {last_good.task_definition_arn}",
            metadata={k: metadata_value(v) for k, v in record.items()},
            tags={naming.VERIFICATION_TAG: "rolled_back"},
        )
    )
    return record
