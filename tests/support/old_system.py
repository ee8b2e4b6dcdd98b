"""What the old system (GitHub Actions + Terraform + shell scripts) left in an account, made with boto3.

The resources of /work/shared/reference/credex-core-deploy.md ("Components and resources"), under the names
it lists, which are the names the project's roots give them: the VPC with two public and two private subnets
over two AZs, internet gateway, a NAT gateway with its address, the route tables, the three security groups,
the ALB with its target group (ip, 3000, `/health`) and HTTPS listener on the old system's own certificate,
the ECR repository (scan on push), the ECS cluster and the log group (30 days), and the Neo4j secret
`neo4j_<short>_secrets`. Tags as the old system set them: Environment, Project and ManagedBy, whose values
drifted (`CredEx`, `Credex`, `credex-core`; `Terraform`). What the old Terraform set differently from the
project's roots is kept as it was (target group deregistration delay 300 s, mutable image tags, no dropping
of invalid headers, the old TLS policy, AWS's default egress rule): the import must show those as updates.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from credex_orchestration import naming
from credex_orchestration.environments import Environment
from credex_orchestration.rehearsal.seed import client

OLD_PROJECT_TAGS = ("CredEx", "Credex", "credex-core")  # drifted between the old workflows


def old_tags(env: Environment, index: int = 0, **extra: str) -> list[dict[str, str]]:
    """The old system's tags; the Project value drifts with `index`, as it did between its workflows."""
    values = {
        "Environment": env.name,
        "Project": OLD_PROJECT_TAGS[index % len(OLD_PROJECT_TAGS)],
        "ManagedBy": "Terraform",
        **extra,
    }
    return [{"Key": key, "Value": value} for key, value in values.items()]


def _spec(kind: str, env: Environment, index: int = 0, **extra: str) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": old_tags(env, index, **extra)}]


def _subnets(cidr: str) -> list[str]:
    """`cidrsubnet(vpc_cidr, 4, n)`: the /20s the roots give subnets (public 0-1, private 8-9)."""
    blocks = list(ipaddress.ip_network(cidr).subnets(prefixlen_diff=4))
    return [str(blocks[n]) for n in (0, 1, 8, 9)]


def leave_old_system(env: Environment, endpoint_url: str) -> dict[str, str]:
    """Create what the old system left for `env`; returns the ids by short key."""
    ec2, elb = client("ec2", env, endpoint_url), client("elbv2", env, endpoint_url)
    names = naming.terraform_names(env, "connectors")
    ids: dict[str, str] = {}
    vpc = ec2.create_vpc(
        CidrBlock=env.network.vpc_cidr, TagSpecifications=_spec("vpc", env, Name=names["vpc"])
    )
    ids["vpc"] = vpc_id = vpc["Vpc"]["VpcId"]
    for attribute in ("EnableDnsSupport", "EnableDnsHostnames"):
        ec2.modify_vpc_attribute(VpcId=vpc_id, **{attribute: {"Value": True}})
    zones = [f"{env.aws.region}a", f"{env.aws.region}b"]
    tiers = [("public", 0), ("public", 1), ("private", 0), ("private", 1)]
    for (tier, index), cidr in zip(tiers, _subnets(env.network.vpc_cidr), strict=True):
        name = names[f"{tier}_subnets"][index]
        subnet = ec2.create_subnet(
            VpcId=vpc_id,
            CidrBlock=cidr,
            AvailabilityZone=zones[index],
            TagSpecifications=_spec("subnet", env, index, Name=name, Tier=tier),
        )
        ids[f"{tier}_{index}"] = subnet["Subnet"]["SubnetId"]
    ids["igw"] = ec2.create_internet_gateway(
        TagSpecifications=_spec("internet-gateway", env, Name=names["internet_gateway"])
    )["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=ids["igw"], VpcId=vpc_id)
    ids["eip"] = ec2.allocate_address(
        Domain="vpc", TagSpecifications=_spec("elastic-ip", env, Name=names["nat_eips"][0])
    )["AllocationId"]
    ids["nat"] = ec2.create_nat_gateway(
        SubnetId=ids["public_0"],
        AllocationId=ids["eip"],
        TagSpecifications=_spec("natgateway", env, Name=names["nat_gateways"][0]),
    )["NatGateway"]["NatGatewayId"]
    public = ec2.create_route_table(
        VpcId=vpc_id, TagSpecifications=_spec("route-table", env, Name=names["public_route_table"])
    )["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public, DestinationCidrBlock="0.0.0.0/0", GatewayId=ids["igw"])
    private = ec2.create_route_table(
        VpcId=vpc_id, TagSpecifications=_spec("route-table", env, Name=names["private_route_tables"][0])
    )["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=private, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=ids["nat"])
    ids["public_rt"], ids["private_rt"] = public, private
    for tier, table in (("public", public), ("private", private)):
        for index in (0, 1):
            ec2.associate_route_table(RouteTableId=table, SubnetId=ids[f"{tier}_{index}"])
    descriptions = {
        "alb_security_group": "credex-core load balancer: HTTP and HTTPS from the internet",
        "ecs_tasks_security_group": "credex-core ECS tasks: app port from the load balancer only",
        "neo4j_security_group": "credex-core Neo4j: HTTP and Bolt from the ECS tasks only",
    }
    for index, (key, description) in enumerate(descriptions.items()):
        ids[key] = ec2.create_security_group(
            GroupName=names[key],
            Description=description,
            VpcId=vpc_id,
            TagSpecifications=_spec("security-group", env, index, Name=names[key]),
        )["GroupId"]
    ids["alb"] = elb.create_load_balancer(
        Name=names["alb"],
        Subnets=[ids["public_0"], ids["public_1"]],
        SecurityGroups=[ids["alb_security_group"]],
        Scheme="internet-facing",
        Type="application",
        Tags=old_tags(env, Name=names["alb"]),
    )["LoadBalancers"][0]["LoadBalancerArn"]
    ids["target_group"] = elb.create_target_group(
        Name=names["target_group"],
        Protocol="HTTP",
        Port=3000,
        VpcId=vpc_id,
        TargetType="ip",
        HealthCheckPath="/health",
        Matcher={"HttpCode": "200"},
        HealthCheckIntervalSeconds=30,
        HealthCheckTimeoutSeconds=3,
        HealthyThresholdCount=3,
        UnhealthyThresholdCount=2,
        Tags=old_tags(env, 1, Name=names["target_group"]),
    )["TargetGroups"][0]["TargetGroupArn"]
    acm = client("acm", env, endpoint_url)
    ids["certificate"] = acm.request_certificate(
        DomainName=env.domain, ValidationMethod="DNS", Tags=old_tags(env)
    )["CertificateArn"]
    ids["https_listener"] = elb.create_listener(
        LoadBalancerArn=ids["alb"],
        Protocol="HTTPS",
        Port=443,
        SslPolicy="ELBSecurityPolicy-2016-08",
        Certificates=[{"CertificateArn": ids["certificate"]}],
        DefaultActions=[{"Type": "forward", "TargetGroupArn": ids["target_group"]}],
        Tags=old_tags(env, Name=names["https_listener"]),
    )["Listeners"][0]["ListenerArn"]
    client("ecr", env, endpoint_url).create_repository(
        repositoryName=names["ecr_repository"],
        imageScanningConfiguration={"scanOnPush": True},
        tags=old_tags(env, 2, Name=names["ecr_repository"]),
    )
    app = naming.terraform_names(env, "app")
    client("ecs", env, endpoint_url).create_cluster(
        clusterName=app["ecs_cluster"],
        tags=[{"key": t["Key"], "value": t["Value"]} for t in old_tags(env, 1, Name=app["ecs_cluster"])],
    )
    logs = client("logs", env, endpoint_url)
    logs.create_log_group(
        logGroupName=app["log_group"],
        tags={t["Key"]: t["Value"] for t in old_tags(env, Name=app["log_group"])},
    )
    logs.put_retention_policy(logGroupName=app["log_group"], retentionInDays=30)
    secret = client("secretsmanager", env, endpoint_url).create_secret(
        Name=naming.neo4j_secret(env),
        SecretString='{"NEO_4J_LEDGER_SPACE_USER": "neo4j"}',
        Tags=old_tags(env),
    )
    ids["neo4j_secret"], ids["neo4j_secret_version"] = secret["ARN"], secret["VersionId"]
    return ids
