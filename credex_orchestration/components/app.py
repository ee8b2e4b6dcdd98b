"""App: the ECS Fargate service running credex-core, its task definition, logs and alarms."""

import re
from collections.abc import Iterator
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    multi_asset,
)

from .. import naming
from ..deploy.code_versions import code_version
from ..deploy.config import AppDeployConfig, with_notice
from ..deploy.guards import guard_deploy
from ..deploy.step import deploy_component, read_outputs
from ..environments import Environment
from ..lib.terraform import Output
from ..resources import AwsResource, TerraformResource
from ..verification import revisions
from . import connectors, databases
from .app_verification import app_check_specs, verify_app

OUTPUTS = (
    "cluster_name",
    "service_name",
    "task_definition_arn",
    "task_definition_family",
    "log_group_name",
    "image_tag",
)
READS_CONNECTORS = (
    "private_subnet_ids",
    "ecs_tasks_security_group_id",
    "target_group_arn",
    "ecr_repository_url",
)
READS_DATABASES = ("neo4j_secret_arn", "neo4j_secret_version_id")
_SHA = re.compile(r"^[0-9a-f]{7,40}$")


class NoImageToDeploy(ValueError):
    """Neither the run config nor the current state names an image tag."""


def image_tag(environment: Environment, requested: str, current: str | None) -> str:
    """The requested git SHA, else the tag already deployed, else the environment's `app.first_image_tag`:
    a redeploy never guesses an image."""
    if requested:
        if not _SHA.match(requested):
            raise NoImageToDeploy(
                f"git_sha {requested!r} for {environment.name}/app is not a git SHA (7-40 lower-case hex digits)"
            )
        return requested
    if current:
        return current
    if environment.app.first_image_tag:
        return environment.app.first_image_tag
    raise NoImageToDeploy(
        f"{environment.name}/app has no image deployed yet: give git_sha (the credex-core commit whose image "
        "is in ECR) in the run config"
    )


def variables(
    environment: Environment, upstream: dict[str, Any], db: dict[str, Any], tag: str
) -> dict[str, Any]:
    return {
        "environment": environment.name,
        "region": environment.aws.region,
        "node_env": environment.app.node_env,
        "cpu": environment.app.cpu,
        "memory": environment.app.memory,
        "desired_count": environment.app.desired_count,
        "container_port": environment.app.container_port,
        "health_check_grace_seconds": environment.app.health_check_grace_seconds,
        "log_retention_days": environment.app.log_retention_days,
        "image_tag": tag,
        "ecr_repository_url": upstream["ecr_repository_url"],
        "private_subnet_ids": upstream["private_subnet_ids"],
        "ecs_tasks_security_group_id": upstream["ecs_tasks_security_group_id"],
        "target_group_arn": upstream["target_group_arn"],
        "neo4j_secret_arn": db["neo4j_secret_arn"],
        # A new current version of the Neo4j secret redeploys the service (the root's `triggers`).
        "neo4j_secret_version_id": db["neo4j_secret_version_id"],
        "alarm_subscriptions": list(environment.app.alarm_subscriptions),
    }


def read_inputs(
    environment: Environment, terraform: TerraformResource
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Output]]:
    """The connectors' and databases' outputs the app needs, and its own deployed outputs."""
    upstream = read_outputs(environment, "connectors", terraform, READS_CONNECTORS)
    db = read_outputs(environment, "databases", terraform, READS_DATABASES)
    return upstream, db, terraform.workspace(environment, "app").outputs()


def live_image(
    context: AssetExecutionContext, environment: Environment, aws: AwsResource, in_state: str | None
) -> str | None:
    """The image the service runs after a rollback, when it differs from what Terraform's state names.

    Keeping the deployed image then means keeping the live one, not re-applying the revision that was rolled
    back. A shared-state environment refuses when the record cannot be read; a local one (fixture worlds
    with no AWS behind them) keeps the state's image.
    """
    try:
        recorded = revisions.read_from_aws(
            aws.session(environment).client("ssm"), naming.live_revision_parameter(environment.name)
        )
    except Exception as error:
        if environment.state.backend == "s3":
            raise NoImageToDeploy(
                f"{environment.name}/app: the live revision record could not be read ({type(error).__name__}): "
                "give git_sha to name the image; refused before any Terraform command"
            ) from None
        return None
    if recorded is None or not recorded.image_tag or recorded.image_tag == in_state:
        return None
    context.log.warning(
        f"{environment.name}/app: the service was rolled back to image {recorded.image_tag} "
        f"({recorded.task_definition_arn}); Terraform's state names {in_state}: deploying the live "
        f"{recorded.image_tag} so state and service agree"
    )
    return recorded.image_tag


def note_live(
    context: AssetExecutionContext,
    environment: Environment,
    aws: AwsResource,
    result: MaterializeResult,
    tag: str,
) -> None:
    """The service now runs what this deploy applied: the live record says so (a rollback rewrites it)."""
    outputs = (result.metadata or {}).get("outputs")
    arn = str((getattr(outputs, "value", None) or {}).get("task_definition_arn", ""))
    try:
        revisions.record_in_aws(
            aws.session(environment).client("ssm"),
            naming.live_revision_parameter(environment.name),
            revisions.Revision(arn, tag, context.run.run_id),
        )
    except Exception as error:  # the deploy itself is done; the next one would not find the live record
        context.log.warning(
            f"{environment.name}/app: live revision not recorded in AWS ({type(error).__name__})"
        )


def build_asset(environment: Environment) -> AssetsDefinition:
    """`<env>/app` with its post-deploy checks in the same step: deploy, verify, roll back on failure.

    Subsettable: a run that selects only the checks (`verify_<env>`) verifies what is deployed and changes
    nothing; a deploy applies the app, then verifies it and rolls back a blocking failure it caused.
    """
    key = naming.component_key(environment.name, "app")

    @multi_asset(
        name=naming.op_name(environment.name, "app"),
        specs=[
            AssetSpec(
                key,
                deps=[
                    naming.component_key(environment.name, "connectors"),
                    naming.component_key(environment.name, "databases"),
                ],
                group_name=environment.name,
                kinds={"terraform", "aws", "ecs"},
                tags={naming.COMPONENT_TAG: "app"},
                code_version=code_version(environment, "app"),
                description=with_notice(
                    environment, f"credex-core on ECS Fargate in {environment.name}, image tag = git SHA."
                ),
                skippable=True,
            )
        ],
        check_specs=app_check_specs(environment),
        can_subset=True,
        pool=naming.environment_pool(environment.name),
    )
    def app(
        context: AssetExecutionContext,
        config: AppDeployConfig,
        terraform: TerraformResource,
        aws: AwsResource,
    ) -> Iterator[MaterializeResult | AssetCheckResult]:
        deploying = key in context.selected_asset_keys
        if deploying:
            yield deploy_app(context, environment, config, terraform, aws)
        if context.selected_asset_check_keys:
            yield from verify_app(context, environment, terraform, aws, deployed=deploying)

    return app


def deploy_app(
    context: AssetExecutionContext,
    environment: Environment,
    config: AppDeployConfig,
    terraform: TerraformResource,
    aws: AwsResource,
) -> MaterializeResult:
    guard_deploy(context, environment, "app", config)
    upstream, db, deployed = read_inputs(environment, terraform)
    current = deployed.get("image_tag")
    in_state = current.value if current else None
    live = None if config.git_sha else live_image(context, environment, aws, in_state)
    tag = image_tag(environment, config.git_sha, live or in_state)
    context.log.info(f"{environment.name}/app deploys image tag {tag}")
    applied = deploy_component(
        context,
        environment,
        "app",
        terraform,
        aws,
        variables(environment, upstream, db, tag),
        config,
        known_outputs=deployed,
    )
    note_live(context, environment, aws, applied, tag)
    return MaterializeResult(
        asset_key=naming.component_key(environment.name, "app"), metadata=applied.metadata
    )


assert set(READS_CONNECTORS) <= set(connectors.OUTPUTS)
assert set(READS_DATABASES) <= set(databases.OUTPUTS)
