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
)

from .. import naming
from ..environments import Environment
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
    """Checks 1-6; with `deployed` (this step applied the app), a blocking failure rolls the service back."""
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
        context.log.info(
            f"{environment.name}: {running} passed every blocking check; recorded as the last good revision"
        )

    for name in APP_CHECKS:
        yield result(key, name, outcomes[name], severity(environment, name, outcomes[name]))


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
    context.log_event(
        AssetObservation(
            asset_key=naming.component_key(environment.name, "app"),
            description=f"rolled back to {last_good.task_definition_arn}",
            metadata={k: metadata_value(v) for k, v in record.items()},
            tags={naming.VERIFICATION_TAG: "rolled_back"},
        )
    )
    return record
