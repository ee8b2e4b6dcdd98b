"""Environment-scoped orphan cleanup on the real roots: development and staging share one account.

The session's development (connectors, databases, app) and staging (databases and app in development's
network) are deployed by the real roots; this test adds development's orphans (tagged for development, held
by no state: what an old deploy or a failed one leaves) and runs the cleanup of development. Read-only on
what the other tests own: it lists every resource of both environments before and after, and only its own
orphans may go.
"""

from __future__ import annotations

from datetime import timedelta

from credex_orchestration import naming
from credex_orchestration.environments import Environment
from credex_orchestration.operations.cleanup import run_cleanup
from credex_orchestration.operations.orphans import now_utc
from credex_orchestration.resources import AwsResource

from .support.orphans import tag_spec, tags
from .support.rehearsal import Deployed, RehearsalWorld


def _listing(world: RehearsalWorld, env: Environment) -> set[str]:
    """Everything tagged for `env` (tagging API and ECR, which it misses), the states of its instances and
    the objects of its state bucket: read with boto3, not with the cleanup's own inventory. A deleted ECS
    cluster (INACTIVE: AWS keeps listing it for a while) counts as gone."""
    found = set()
    tagging = world.client("resourcegroupstaggingapi", env.name)
    for page in tagging.get_paginator("get_resources").paginate(
        TagFilters=[{"Key": "Environment", "Values": [env.name]}]
    ):
        found.update(item["ResourceARN"] for item in page["ResourceTagMappingList"])
    clusters = [arn for arn in found if ":cluster/" in arn]
    for cluster in (
        world.client("ecs", env.name).describe_clusters(clusters=clusters)["clusters"] if clusters else ()
    ):
        if cluster["status"] == "INACTIVE":
            found.discard(cluster["clusterArn"])
    ecr = world.client("ecr", env.name)
    for repository in ecr.describe_repositories()["repositories"]:
        repository_tags = ecr.list_tags_for_resource(resourceArn=repository["repositoryArn"])["tags"]
        if {"Key": "Environment", "Value": env.name} in repository_tags:
            found.add(repository["repositoryArn"])
    filters = [{"Name": "tag:Environment", "Values": [env.name]}]
    for reservation in world.client("ec2", env.name).describe_instances(Filters=filters)["Reservations"]:
        found.update(f"{i['InstanceId']}:{i['State']['Name']}" for i in reservation["Instances"])
    found.update(f"s3://{env.state.bucket}/{key}" for key in world.state_objects(env.name))
    return found


def _leave_orphans(world: RehearsalWorld, env: Environment) -> dict[str, str]:
    """An old network (VPC, subnet, security group, target group), an ECR repository, a log group and an
    ECS cluster, tagged for `env` as the roots tag, named as an earlier deploy of it named them."""
    ec2, region = world.client("ec2", env.name), env.aws.region
    orphans: dict[str, str] = {}
    vpc = ec2.create_vpc(
        CidrBlock="10.9.0.0/16", TagSpecifications=tag_spec("vpc", env, Name=f"{naming.vpc(env)}-old")
    )
    orphans["vpc"] = vpc_id = vpc["Vpc"]["VpcId"]
    orphans["subnet"] = ec2.create_subnet(
        VpcId=vpc_id,
        CidrBlock="10.9.0.0/20",
        AvailabilityZone=f"{region}a",
        TagSpecifications=tag_spec("subnet", env, Name=f"credex-public-subnet-{env.slug}-old"),
    )["Subnet"]["SubnetId"]
    orphans["security_group"] = ec2.create_security_group(
        GroupName=f"{naming.alb_security_group(env)}-old",
        Description="old",
        VpcId=vpc_id,
        TagSpecifications=tag_spec("security-group", env, Name=f"{naming.alb_security_group(env)}-old"),
    )["GroupId"]
    orphans["target_group"] = world.client("elbv2", env.name).create_target_group(
        Name=f"credex-tg-{env.slug}-old",
        Protocol="HTTP",
        Port=3000,
        VpcId=vpc_id,
        TargetType="ip",
        Tags=tags(env),
    )["TargetGroups"][0]["TargetGroupArn"]
    repository = f"{naming.ecr_repository(env)}-old"
    world.client("ecr", env.name).create_repository(repositoryName=repository, tags=tags(env))
    orphans["repository"] = repository
    orphans["log_group"] = f"{naming.log_group(env)}-old"
    world.client("logs", env.name).create_log_group(
        logGroupName=orphans["log_group"], tags=dict(naming.common_tags(env, "app"))
    )
    orphans["cluster"] = world.client("ecs", env.name).create_cluster(
        clusterName=f"{naming.ecs_cluster(env)}-old",
        tags=[{"key": k, "value": v} for k, v in naming.common_tags(env, "app").items()],
    )["cluster"]["clusterArn"]
    return orphans


def test_a_development_cleanup_deletes_its_orphans_and_staging_loses_nothing(
    rehearsal_development: Deployed, rehearsal_staging: Deployed
) -> None:
    world = rehearsal_development.world
    dev, staging = world.environment("development"), world.environment("staging")
    session = AwsResource(endpoint_url=world.endpoint_url).session(dev)
    staging_before, dev_before = _listing(world, staging), _listing(world, dev)
    orphans = _leave_orphans(world, dev)
    ids = set(orphans.values())

    # Just made: younger than the safe age (or of unknown age, first seen now), so even a deleting run keeps them.
    first = run_cleanup(
        session, world.terraform, dev, world.environments, delete=True, retry_delay_seconds=0.01
    )
    kept = {candidate.resource_id: reason for candidate, reason in first.protected}
    assert not first.deleted and not first.orphans, [c.resource_id for c in first.orphans]
    assert ids <= set(kept), kept
    assert _listing(world, dev) >= dev_before

    # Two hours on, seen orphaned since the first run: they go, and only they.
    seen = {candidate.arn: first.now for candidate, _ in first.protected}
    later = run_cleanup(
        session,
        world.terraform,
        dev,
        world.environments,
        delete=True,
        first_seen=seen,
        now=now_utc() + timedelta(hours=2),
        retry_delay_seconds=0.01,
    )
    assert not later.failed, later.failed
    assert {candidate.resource_id for candidate in later.deleted} == ids
    assert _listing(world, dev) == dev_before
    assert _listing(world, staging) == staging_before
    # What AWS still lists after the deletion (the INACTIVE cluster) is not an orphan again.
    again = run_cleanup(session, world.terraform, dev, world.environments, delete=False, min_age=timedelta(0))
    assert not ids & {c.resource_id for c in again.orphans + [c for c, _ in again.protected]}
