"""Discovery of existing resources against moto in server mode, and its refusals."""

from __future__ import annotations

import pytest

from credex_orchestration import naming
from credex_orchestration.deploy.imports import (
    TagMismatchError,
    discover_missing,
    verify_exist,
)
from credex_orchestration.deploy.state_import import ImportRefused, ImportTarget
from credex_orchestration.resources import AwsResource

from .support.orphans import tag_spec, tags


def _create_environment(session, env) -> dict[str, str]:
    """The resources of all three components of `env`, named and tagged as the roots make them."""
    ec2, elb = session.client("ec2"), session.client("elbv2")
    ids: dict[str, str] = {}
    cidr = env.network.vpc_cidr.split(".")
    prefix = f"{cidr[0]}.{cidr[1]}"
    vpc = ec2.create_vpc(
        CidrBlock=env.network.vpc_cidr, TagSpecifications=tag_spec("vpc", env, Name=naming.vpc(env))
    )
    ids["vpc"] = vpc_id = vpc["Vpc"]["VpcId"]
    for number, (tier, zone) in enumerate(
        [("public", "a"), ("public", "b"), ("private", "a"), ("private", "b")]
    ):
        subnet = ec2.create_subnet(
            VpcId=vpc_id,
            CidrBlock=f"{prefix}.{number}.0/24",
            AvailabilityZone=f"{session.region}{zone}",
            TagSpecifications=tag_spec("subnet", env, Name=f"credex-{tier}-{zone}-{env.slug}"),
        )
        ids[f"{tier}_{zone}"] = subnet["Subnet"]["SubnetId"]
    gateway = ec2.create_internet_gateway(TagSpecifications=tag_spec("internet-gateway", env, Name="igw"))
    ids["igw"] = gateway["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=ids["igw"], VpcId=vpc_id)
    for key, name in (
        ("sg_alb", naming.alb_security_group(env)),
        ("sg_ecs", naming.ecs_tasks_security_group(env)),
        ("sg_neo4j", naming.neo4j_security_group(env)),
    ):
        ids[key] = ec2.create_security_group(
            GroupName=name, Description=name, VpcId=vpc_id, TagSpecifications=tag_spec("security-group", env)
        )["GroupId"]
    lb = elb.create_load_balancer(
        Name=naming.alb(env), Subnets=[ids["public_a"], ids["public_b"]], Tags=tags(env)
    )["LoadBalancers"][0]
    ids["alb"] = lb["LoadBalancerArn"]
    group = elb.create_target_group(
        Name=naming.target_group(env),
        Protocol="HTTP",
        Port=3000,
        VpcId=vpc_id,
        TargetType="ip",
        Tags=tags(env),
    )["TargetGroups"][0]
    ids["tg"] = group["TargetGroupArn"]
    forward = [{"Type": "forward", "TargetGroupArn": ids["tg"]}]
    for port in (80, 443):
        ids[f"listener_{port}"] = elb.create_listener(
            LoadBalancerArn=ids["alb"], Protocol="HTTP", Port=port, DefaultActions=forward
        )["Listeners"][0]["ListenerArn"]
    session.client("ecr").create_repository(repositoryName=naming.ecr_repository(env), tags=tags(env))
    for space in ("LedgerSpace", "SearchSpace"):
        instance = ec2.run_instances(
            ImageId="ami-12c6146b",
            MinCount=1,
            MaxCount=1,
            BlockDeviceMappings=[{"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 10}}],
            TagSpecifications=[
                {
                    "ResourceType": "instance",
                    "Tags": tags(env, "databases", Name=naming.neo4j_instance(env, space)),
                }
            ],
        )["Instances"][0]
        ids[space] = instance["InstanceId"]
        data = [m for m in instance["BlockDeviceMappings"] if m["DeviceName"] == "/dev/sdf"]
        ids[f"{space}_volume"] = data[0]["Ebs"]["VolumeId"] if data else ""
    ids["secret"] = session.client("secretsmanager").create_secret(
        Name=naming.neo4j_secret(env), SecretString="{}", Tags=tags(env, "databases")
    )["ARN"]
    ecs = session.client("ecs")
    ecs.create_cluster(clusterName=naming.ecs_cluster(env), tags=[{"key": "Environment", "value": env.name}])
    ecs.register_task_definition(
        family=naming.task_family(env),
        containerDefinitions=[{"name": "credex-core", "image": "x", "memory": 512}],
    )
    ecs.create_service(
        cluster=naming.ecs_cluster(env),
        serviceName=naming.ecs_service(env),
        taskDefinition=naming.task_family(env),
    )
    ids["app_secret"] = session.client("secretsmanager").create_secret(
        Name=naming.app_secret(env), SecretString="{}", Tags=tags(env, "app")
    )["ARN"]
    session.client("logs").create_log_group(
        logGroupName=naming.log_group(env), tags=dict(naming.common_tags(env, "app"))
    )
    return ids


@pytest.fixture
def aws(aws_endpoint, environments):
    dev, staging = environments["development"], environments["staging"]
    session = AwsResource(endpoint_url=aws_endpoint).session(dev)
    return session, _create_environment(session, dev), _create_environment(session, staging)


def test_discovery_maps_each_resource_to_its_address_and_skips_what_state_has(aws, environments) -> None:
    session, dev, staging = aws
    env = environments["development"]
    connectors = {
        f.address: f.import_id for f in discover_missing(session, env, "connectors", ["aws_vpc.main"])
    }
    assert "aws_vpc.main" not in connectors  # already in state
    assert connectors["aws_subnet.public[0]"] == dev["public_a"]
    assert connectors["aws_subnet.public[1]"] == dev["public_b"]
    assert connectors["aws_subnet.private[1]"] == dev["private_b"]
    assert connectors["aws_internet_gateway.main"] == dev["igw"]
    assert connectors["aws_security_group.neo4j"] == dev["sg_neo4j"]
    assert connectors["aws_lb.main"] == dev["alb"]
    assert connectors["aws_lb_target_group.app"] == dev["tg"]
    assert connectors["aws_lb_listener.https"] == dev["listener_443"]
    assert connectors["aws_lb_listener.http"] == dev["listener_80"]
    assert connectors["aws_ecr_repository.app"] == "credex-core-development"
    assert not set(connectors.values()) & set(staging.values())

    databases = {f.address: f.import_id for f in discover_missing(session, env, "databases", [])}
    assert databases["aws_instance.ledgerspace"] == dev["LedgerSpace"]
    assert databases["aws_instance.searchspace"] == dev["SearchSpace"]
    assert dev["LedgerSpace_volume"].startswith("vol-")
    assert databases["aws_ebs_volume.ledgerspace_data"] == dev["LedgerSpace_volume"]
    assert databases["aws_secretsmanager_secret.neo4j"] == dev["secret"]

    app = {f.address: f.import_id for f in discover_missing(session, env, "app", [])}
    assert app == {
        "aws_ecs_cluster.main": "credex-cluster-development",
        "aws_ecs_service.app": "credex-cluster-development/credex-core-service-development",
        "aws_cloudwatch_log_group.app": "/ecs/credex-core-development",
        "aws_secretsmanager_secret.app": dev["app_secret"],
    }
    verify_exist(session, env, [ImportTarget(a, i) for a, i in {**connectors, **databases, **app}.items()])


def test_a_resource_named_for_development_but_tagged_staging_is_refused(aws, environments) -> None:
    session, dev, _ = aws
    env = environments["development"]
    session.client("ec2").create_tags(
        Resources=[dev["sg_alb"]], Tags=[{"Key": "Environment", "Value": "staging"}]
    )
    with pytest.raises(TagMismatchError) as error:
        discover_missing(session, env, "connectors", [])
    message = str(error.value)
    assert "aws_security_group.alb" in message and dev["sg_alb"] in message
    assert "named for development but tagged Environment=staging" in message


def test_an_import_id_that_does_not_exist_is_refused(aws, environments) -> None:
    session, dev, _ = aws
    env = environments["development"]
    targets = [
        ImportTarget("aws_vpc.main", dev["vpc"]),
        ImportTarget("aws_vpc.main", "vpc-0000000000000dead"),
        ImportTarget("aws_ecr_repository.app", "credex-core-nowhere"),
        ImportTarget("aws_instance.ledgerspace", "i-0000000000000dead"),
    ]
    with pytest.raises(ImportRefused) as error:
        verify_exist(session, env, targets)
    message = str(error.value)
    assert "import id 'vpc-0000000000000dead' does not exist" in message
    assert (
        "'credex-core-nowhere' does not exist" in message
        and "'i-0000000000000dead' does not exist" in message
    )
    assert dev["vpc"] not in message and "nothing imported" in message
