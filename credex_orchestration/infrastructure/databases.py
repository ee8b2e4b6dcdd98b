"""Databases: the LedgerSpace and SearchSpace Neo4j instances, their volumes and credentials secret."""

from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    DagsterInstance,
    MaterializeResult,
    asset,
)

from ..environments import Environment
from ..resources import AwsResource, TerraformResource
from ..triggers.production_guard import guard_deploy
from . import connectors
from .config import DeployConfig
from .terraform_step import deploy_component, read_outputs

OUTPUTS = (
    "ledgerspace_instance_id",
    "searchspace_instance_id",
    "ledgerspace_private_ip",
    "searchspace_private_ip",
    "neo4j_secret_arn",
    "neo4j_ami_id",
)
READS = ("vpc_id", "private_subnet_ids", "neo4j_security_group_id")


class NoNeo4jImage(RuntimeError):
    """No AMI is pinned or materialised for the environment's Neo4j edition."""


def ami_key(edition: str) -> AssetKey:
    return AssetKey(["neo4j_ami", edition])


def pinned_ami(environment: Environment, instance: DagsterInstance) -> str:
    """The AMI the environment runs: pinned in the environments file, else the latest `neo4j_ami` record.

    Never a "most recent" lookup in AWS: the id comes from a record someone can read and review.
    """
    if environment.neo4j.ami_id:
        return environment.neo4j.ami_id
    key = ami_key(environment.neo4j.edition)
    event = instance.get_latest_materialization_event(key)
    materialization = event.asset_materialization if event else None
    ami = materialization.metadata.get("ami_id") if materialization else None
    if ami is None:
        raise NoNeo4jImage(
            f"{environment.name}/databases needs a Neo4j {environment.neo4j.edition} AMI: materialise "
            f"{key.to_user_string()} or pin neo4j.ami_id for {environment.name} in the environments file"
        )
    return str(ami.value)


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
        key=AssetKey([environment.name, "databases"]),
        deps=[AssetKey([environment.name, "connectors"]), ami_key(environment.neo4j.edition)],
        group_name=environment.name,
        kinds={"terraform", "aws", "neo4j"},
        tags={"credex/component": "databases"},
        description=f"Neo4j LedgerSpace and SearchSpace instances of {environment.name}.",
    )
    def databases(
        context: AssetExecutionContext, config: DeployConfig, terraform: TerraformResource, aws: AwsResource
    ) -> MaterializeResult:
        guard_deploy(context, environment, "databases", config)
        upstream = read_outputs(environment, "connectors", terraform, READS)
        ami_id = pinned_ami(environment, context.instance)
        context.log.info(f"{environment.name}/databases uses Neo4j AMI {ami_id}")
        return deploy_component(
            context, environment, "databases", terraform, aws, variables(environment, upstream, ami_id)
        )

    return databases


assert set(READS) <= set(connectors.OUTPUTS)
