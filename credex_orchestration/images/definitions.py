"""Definitions of the images area: the Neo4j AMI assets, their smoke tests, and AMI retention."""

from datetime import timedelta

from dagster import (
    Definitions,
    EnvVar,
    OpExecutionContext,
    ScheduleDefinition,
    in_process_executor,
    job,
    op,
)

from .. import naming
from ..environments import EDITIONS, Environments
from . import neo4j_ami
from .retention import apply_retention, sweep_leftover_instances
from .settings import Neo4jImagesResource


@op(
    description="Keep the newest passing Neo4j AMIs per edition, deregister the rest unless in use, and "
    "terminate leftover builder instances."
)
def retain_neo4j_amis(context: OpExecutionContext, neo4j_images: Neo4jImagesResource) -> None:
    ec2 = neo4j_images.session().client("ec2")
    longest = (
        neo4j_images.build_timeout_seconds
        + neo4j_images.image_timeout_seconds
        + neo4j_images.smoke_timeout_seconds
    )
    sweep_leftover_instances(ec2, timedelta(seconds=2 * longest), log=context.log.info)
    for edition in EDITIONS:
        result = apply_retention(
            ec2, edition, neo4j_images.keep_passing, neo4j_images.deprecate_after_days, log=context.log.info
        )
        context.log.info(
            f"{edition}: kept {result.kept}, deprecated {result.deprecated}, deregistered "
            f"{result.deregistered}, in use {result.in_use}"
        )


@job(
    description="Neo4j AMI retention (daily).",
    tags={naming.KIND_TAG: "maintenance"},
    executor_def=in_process_executor,
)
def neo4j_ami_retention():
    retain_neo4j_amis()


def default_resource() -> Neo4jImagesResource:
    return Neo4jImagesResource(endpoint_url=EnvVar("AWS_ENDPOINT_URL").get_value())


def build(environments: Environments, resource: Neo4jImagesResource | None = None) -> Definitions:
    """AMIs are per edition, not per environment: `environments` only keeps the area signature uniform.

    The code location takes `neo4j_images` from `definitions.default_resources()` with the others; pass
    `resource` when composing this area alone (tests).
    """
    return Definitions(
        assets=neo4j_ami.build_assets(),
        asset_checks=neo4j_ami.build_checks(),
        jobs=[neo4j_ami_retention],
        schedules=[ScheduleDefinition(job=neo4j_ami_retention, cron_schedule="30 3 * * *")],
        resources={"neo4j_images": resource} if resource else {},
    )
