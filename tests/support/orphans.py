"""Resources of two environments (and untagged ones) created in moto, for discovery and cleanup tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from credex_orchestration import naming
from credex_orchestration.environments import Environment
from credex_orchestration.lib.aws import AwsSession


def tags(env: Environment | None, component: str = "connectors", **extra: str) -> list[dict[str, str]]:
    base = naming.common_tags(env, component) if env is not None else {}
    return [{"Key": k, "Value": v} for k, v in {**base, **extra}.items()]


def tag_spec(kind: str, env: Environment | None, **extra: str) -> list[dict]:
    return [{"ResourceType": kind, "Tags": tags(env, **extra)}]


@dataclass
class World:
    ids: dict[str, str] = field(default_factory=dict)


def build_world(session: AwsSession, dev: Environment, staging: Environment) -> World:
    """dev: a managed VPC, an orphaned old VPC with subnet and SG, log group, ECR repo, secret, snapshot,
    a database instance and the state bucket; staging: VPC, ECR repo, log group; untagged VPC and repo."""
    ec2, ecr, logs, s3 = (
        session.client("ec2"),
        session.client("ecr"),
        session.client("logs"),
        session.client("s3"),
    )
    world = World()
    world.ids["dev_vpc"] = ec2.create_vpc(
        CidrBlock="10.1.0.0/16", TagSpecifications=tag_spec("vpc", dev, Name=naming.vpc(dev))
    )["Vpc"]["VpcId"]
    old = ec2.create_vpc(
        CidrBlock="10.9.0.0/16", TagSpecifications=tag_spec("vpc", dev, Name=f"{naming.vpc(dev)}-old")
    )["Vpc"]["VpcId"]
    world.ids["dev_old_vpc"] = old
    world.ids["dev_old_subnet"] = ec2.create_subnet(
        VpcId=old,
        CidrBlock="10.9.1.0/24",
        TagSpecifications=tag_spec("subnet", dev, Name="credex-old-development"),
    )["Subnet"]["SubnetId"]
    world.ids["dev_old_sg"] = ec2.create_security_group(
        GroupName="credex-old-sg-development",
        Description="old",
        VpcId=old,
        TagSpecifications=tag_spec("security-group", dev, Name="credex-old-sg-development"),
    )["GroupId"]
    logs.create_log_group(logGroupName=naming.log_group(dev), tags=dict(naming.common_tags(dev, "app")))
    ecr.create_repository(repositoryName=naming.ecr_repository(dev), tags=tags(dev))
    secret = session.client("secretsmanager").create_secret(
        Name=naming.neo4j_secret(dev), SecretString="{}", Tags=tags(dev, "databases")
    )
    world.ids["dev_secret"] = secret["ARN"]
    volume = ec2.create_volume(
        AvailabilityZone=f"{session.region}a",
        Size=1,
        TagSpecifications=tag_spec("volume", dev, Name="snapsrc-development"),
    )
    world.ids["dev_snapshot"] = ec2.create_snapshot(
        VolumeId=volume["VolumeId"],
        TagSpecifications=tag_spec("snapshot", dev, Name="credex-old-development"),
    )["SnapshotId"]
    ec2.delete_volume(VolumeId=volume["VolumeId"])
    world.ids["dev_db"] = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        TagSpecifications=[
            {
                "ResourceType": "instance",
                "Tags": tags(dev, "databases", Name=naming.neo4j_instance(dev, "LedgerSpace")),
            }
        ],
    )["Instances"][0]["InstanceId"]
    world.ids["dev_image"] = ec2.create_image(
        InstanceId=world.ids["dev_db"],
        Name="credex-neo4j-old-development",
        TagSpecifications=tag_spec("image", dev, Name="credex-neo4j-old-development"),
    )["ImageId"]
    s3.create_bucket(
        Bucket=naming.state_bucket(dev), CreateBucketConfiguration={"LocationConstraint": session.region}
    )
    s3.put_bucket_tagging(Bucket=naming.state_bucket(dev), Tagging={"TagSet": tags(dev)})

    world.ids["staging_vpc"] = ec2.create_vpc(
        CidrBlock="10.2.0.0/16", TagSpecifications=tag_spec("vpc", staging, Name=naming.vpc(staging))
    )["Vpc"]["VpcId"]
    ecr.create_repository(repositoryName=naming.ecr_repository(staging), tags=tags(staging))
    logs.create_log_group(
        logGroupName=naming.log_group(staging), tags=dict(naming.common_tags(staging, "app"))
    )
    world.ids["untagged_vpc"] = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    ecr.create_repository(repositoryName="credex-core-untagged")
    return world
