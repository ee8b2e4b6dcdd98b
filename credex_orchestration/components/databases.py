"""Databases: the LedgerSpace and SearchSpace Neo4j instances, their volumes and credentials secret."""

from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    DagsterInstance,
    MaterializeResult,
    asset,
)

from .. import naming
from ..deploy.code_versions import code_version
from ..deploy.config import DatabasesDeployConfig, with_notice
from ..deploy.guards import guard_deploy
from ..deploy.step import read_outputs
from ..environments import Environment
from ..images.neo4j_ami import latest_passing_ami
from ..resources import AwsResource, TerraformResource
from . import connectors
from .database_rollout import deploy_databases

OUTPUTS = (
    "ledgerspace_instance_id",
    "searchspace_instance_id",
    "ledgerspace_private_ip",
    "searchspace_private_ip",
    "neo4j_secret_arn",
    "neo4j_secret_version_id",
    "neo4j_ami_id",
)
READS = ("vpc_id", "private_subnet_ids", "neo4j_security_group_id")


class NoNeo4jImage(RuntimeError):
    """No AMI is pinned or materialised for the environment's Neo4j edition."""


def pinned_ami(environment: Environment, instance: DagsterInstance) -> str:
    """The AMI the environment runs: pinned in the environments file, else the latest passing `neo4j_ami`.

    Never a "most recent" lookup in AWS: the id comes from a record someone can read and review, and only
    from a materialisation whose smoke test passed (a failed one is tagged Status=failed and never used).
    """
    if environment.neo4j.ami_id:
        return environment.neo4j.ami_id
    ami = latest_passing_ami(instance, environment.neo4j.edition)
    if ami is not None:
        return ami
    key = naming.ami_key(environment.neo4j.edition)
    raise NoNeo4jImage(
        f"{environment.name}/databases needs a Neo4j {environment.neo4j.edition} AMI whose smoke test passed: "
        f"materialise {key.to_user_string()} or pin neo4j.ami_id for {environment.name} in the environments file"
    )


def variables(environment: Environment, upstream: dict[str, Any], ami_id: str) -> dict[str, Any]:
    return {
        "environment": environment.name,
        "region": environment.aws.region,
        "neo4j_edition": environment.neo4j.edition,
        "instance_type": environment.neo4j.instance_type,
        "volume_size_gb": environment.neo4j.volume_size_gb,
        "ami_id": ami_id,
        "vpc_id": upstream["vpc_id"],
        "private_subnet_ids": upstream["private_subnet_ids"],
        "neo4j_security_group_id": upstream["neo4j_security_group_id"],
    }


def build_asset(environment: Environment) -> AssetsDefinition:
    @asset(
        key=naming.component_key(environment.name, "databases"),
        deps=[
            naming.component_key(environment.name, "connectors"),
            naming.ami_key(environment.neo4j.edition),
        ],
        group_name=environment.name,
        kinds={"terraform", "aws", "neo4j"},
        tags={naming.COMPONENT_TAG: "databases"},
        pool=naming.environment_pool(environment.name),
        code_version=code_version(environment, "databases"),
        description=with_notice(
            environment, f"Neo4j LedgerSpace and SearchSpace instances of {environment.name}."
        ),
    )
    def databases(
        context: AssetExecutionContext,
        config: DatabasesDeployConfig,
        terraform: TerraformResource,
        aws: AwsResource,
    ) -> MaterializeResult:
        guard_deploy(context, environment, "databases", config)
        upstream = read_outputs(environment, "connectors", terraform, READS)
        ami_id = pinned_ami(environment, context.instance)
        context.log.info(f"{environment.name}/databases uses Neo4j AMI {ami_id}")
        return deploy_databases(
            context, environment, terraform, aws, variables(environment, upstream, ami_id), config
        )

    return databases


assert set(READS) <= set(connectors.OUTPUTS)
