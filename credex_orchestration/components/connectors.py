"""Connectors: network, load balancer, certificate, DNS and the ECR repository of an environment."""

from typing import Any

from dagster import AssetExecutionContext, AssetsDefinition, MaterializeResult, asset

from .. import naming
from ..deploy.code_versions import code_version
from ..deploy.config import DeployConfig, with_notice
from ..deploy.guards import guard_deploy
from ..deploy.step import deploy_component
from ..environments import Environment
from ..resources import AwsResource, TerraformResource
from .plan_ahead import variables_ahead

# Outputs the databases and app components read from this root's state.
OUTPUTS = (
    "vpc_id",
    "public_subnet_ids",
    "private_subnet_ids",
    "alb_security_group_id",
    "ecs_tasks_security_group_id",
    "neo4j_security_group_id",
    "alb_arn",
    "alb_dns_name",
    "target_group_arn",
    "https_listener_arn",
    "certificate_arn",
    "ecr_repository_url",
)


def variables(environment: Environment) -> dict[str, Any]:
    return {
        "environment": environment.name,
        "region": environment.aws.region,
        "vpc_cidr": environment.network.vpc_cidr,
        "nat_gateway_count": environment.network.nat_gateway_count,
        "domain": environment.domain,
        "container_port": environment.app.container_port,
    }


def build_asset(environment: Environment) -> AssetsDefinition:
    @asset(
        key=naming.component_key(environment.name, "connectors"),
        group_name=environment.name,
        kinds={"terraform", "aws"},
        tags={naming.COMPONENT_TAG: "connectors"},
        pool=naming.environment_pool(environment.name),
        code_version=code_version(environment, "connectors"),
        description=with_notice(
            environment,
            f"VPC, subnets, NAT, security groups, ALB, certificate, DNS and ECR of {environment.name}.",
        ),
    )
    def connectors(
        context: AssetExecutionContext, config: DeployConfig, terraform: TerraformResource, aws: AwsResource
    ) -> MaterializeResult:
        guard_deploy(context, environment, "connectors", config)
        return deploy_component(
            context,
            environment,
            "connectors",
            terraform,
            aws,
            variables(environment),
            config,
            variables_ahead=variables_ahead,
        )

    return connectors
