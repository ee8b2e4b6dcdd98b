"""A protected environment (production) deploys from its own branch; any other deploy of it must name it.

Called first thing in every component asset, before any Terraform command or AWS call. Tags can be typed
by hand in the launchpad, so they are not trusted as proof: every deploy of a protected environment
carries `confirm_environment: <its name>` (the branch-push sensor sets it for pushes to its branch), and a run that
claims to come from a branch push must name the environment's own branch.
"""

from __future__ import annotations

from collections.abc import Mapping

from dagster import AssetExecutionContext, Failure

from ..environments import Environment
from ..naming import BRANCH_PUSH_TRIGGER as BRANCH_PUSH
from ..naming import BRANCH_TAG, TRIGGER_TAG
from .preflight import RunConfigRefused, check_run
from .promotion import PromotionRefused, check_promotion
from .writers import SecondWriterPossible, check_single_writer


class DeployRefused(RuntimeError):
    """A deploy the guard refused before anything ran."""


def check_deploy_allowed(
    environment: Environment, component: str, tags: Mapping[str, str], confirm_environment: str
) -> None:
    where = f"{environment.name}/{component}"
    if confirm_environment and confirm_environment != environment.name:
        raise DeployRefused(
            f"{where}: confirm_environment is {confirm_environment!r} but this run deploys "
            f"{environment.name!r}: refused, nothing was run"
        )
    if not environment.protected:
        return
    if tags.get(TRIGGER_TAG) == BRANCH_PUSH and tags.get(BRANCH_TAG) != environment.branch:
        raise DeployRefused(
            f"{where}: a branch-push deploy of {environment.name} must come from branch "
            f"{environment.branch!r}, not {tags.get(BRANCH_TAG)!r}: refused, nothing was run"
        )
    if confirm_environment != environment.name:
        raise DeployRefused(
            f"{where}: {environment.name} is protected: it deploys from the {environment.branch!r} branch; a deploy requested any "
            f"other way must set confirm_environment: {environment.name} in the run config of op "
            f"{environment.name}__{component}: refused, nothing was run"
        )


REFUSALS = (DeployRefused, PromotionRefused, SecondWriterPossible, RunConfigRefused)


def guard_deploy(context: AssetExecutionContext, environment: Environment, component: str, config) -> None:
    """The one-line call at the top of each component asset.

    A refusal is raised as a `Failure`, so the run page's first error is the refusal itself, whole, with
    what to do (a plain exception would be shown under Dagster's "Error occurred while executing op").
    """
    try:
        _guard(context, environment, component, config)
    except REFUSALS as refusal:
        raise Failure(description=str(refusal), allow_retries=False) from refusal


def _guard(context: AssetExecutionContext, environment: Environment, component: str, config) -> None:
    check_deploy_allowed(environment, component, context.run.tags, getattr(config, "confirm_environment", ""))
    check_promotion(context, environment, component, config)
    check_single_writer(context.instance, environment, f"{environment.name}/{component}")
    aws = getattr(context.resources, "aws", None)
    shared = environment.state.backend == "s3"
    check_run(
        context.run.run_config,
        environment,
        aws.session(environment).client("ecr") if aws and shared else None,
    )
