"""AMI retention against moto: newest passing kept, in-use and foreign images untouched, snapshots deleted.

moto does not implement EnableImageDeprecation: a `before-call` hook on the client records the request and
answers it (the only stand-in here); every other call is moto's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import boto3
from botocore.exceptions import ClientError

from credex_orchestration.images.definitions import neo4j_ami_retention
from credex_orchestration.images.retention import apply_retention, sweep_leftover_instances
from credex_orchestration.images.settings import Neo4jImagesResource

from .support.neo4j_images import base_image

REGION = "af-south-1"


def make_image(ec2, source: str, name: str, **tags: str) -> tuple[str, list[str]]:
    instance = ec2.run_instances(ImageId=source, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ami = ec2.create_image(
        InstanceId=instance,
        Name=name,
        TagSpecifications=[
            {"ResourceType": "image", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
        ],
    )["ImageId"]
    ec2.terminate_instances(InstanceIds=[instance])
    image = ec2.describe_images(ImageIds=[ami])["Images"][0]
    return ami, [m["Ebs"]["SnapshotId"] for m in image["BlockDeviceMappings"] if "Ebs" in m]


def test_retention_keeps_newest_passing_and_never_touches_used_or_foreign_images(aws_endpoint) -> None:
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=aws_endpoint)
    source = base_image(aws_endpoint)
    ours = {"BuiltBy": "credex-orchestration", "Neo4jEdition": "community"}
    passing = [
        make_image(ec2, source, f"neo4j-community-5.26.{n}-2026010{n}T000000Z", **ours, Status="passed")
        for n in range(1, 6)
    ]
    failed, failed_snapshots = make_image(
        ec2, source, "neo4j-community-5.26.6-20260106T000000Z", **ours, Status="failed"
    )
    building, _ = make_image(ec2, source, "neo4j-community-5.26.7-20260107T000000Z", **ours)
    foreign, _ = make_image(ec2, source, "someone-elses-neo4j", Neo4jEdition="community", Status="passed")
    enterprise, _ = make_image(
        ec2,
        source,
        "neo4j-enterprise-5.26.1-20260101T000000Z",
        BuiltBy="credex-orchestration",
        Neo4jEdition="enterprise",
        Status="passed",
    )
    in_use = passing[0][0]
    ec2.run_instances(ImageId=in_use, MinCount=1, MaxCount=1)  # a database still runs the oldest image

    requests: list[dict] = []

    def deprecation(params, **kwargs):
        requests.append({k: params["body"][k] for k in ("ImageId", "DeprecateAt")})
        return (SimpleNamespace(status_code=200, headers={}), {"Return": True})

    ec2.meta.events.register("before-call.ec2.EnableImageDeprecation", deprecation)
    now = datetime(2026, 11, 21, tzinfo=UTC)
    result = apply_retention(
        ec2, "community", keep=2, deprecate_after_days=30, now=now, log=lambda line: None
    )

    newest, second = passing[4][0], passing[3][0]
    assert result.kept == [newest, second]
    assert result.in_use == [in_use]
    assert sorted(result.deregistered) == sorted([passing[1][0], passing[2][0], failed])
    assert result.deprecated == [second, in_use]  # superseded, still kept or in use
    assert requests == [
        {"ImageId": ami, "DeprecateAt": "2026-12-21T00:00:00Z"} for ami in (second, in_use)
    ]  # now + 30 days

    remaining = {i["ImageId"] for i in ec2.describe_images(Owners=["self"])["Images"]}
    assert {newest, second, in_use, building, foreign, enterprise} <= remaining
    assert not remaining & {passing[1][0], passing[2][0], failed}
    for snapshot in [*passing[1][1], *passing[2][1], *failed_snapshots]:
        try:
            ec2.describe_snapshots(SnapshotIds=[snapshot])
        except ClientError as error:
            assert "NotFound" in error.response["Error"]["Code"]
        else:
            raise AssertionError(f"snapshot {snapshot} of a deregistered image still exists")
    kept_snapshots = passing[4][1] + passing[0][1]
    assert len(ec2.describe_snapshots(SnapshotIds=kept_snapshots)["Snapshots"]) == len(kept_snapshots)


def test_leftover_builder_instances_are_swept_only_when_old(aws_endpoint) -> None:
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=aws_endpoint)
    source = base_image(aws_endpoint)
    tags = [
        {"Key": "Purpose", "Value": "neo4j-ami-builder"},
        {"Key": "BuiltBy", "Value": "credex-orchestration"},
    ]
    leftover = ec2.run_instances(
        ImageId=source, MinCount=1, MaxCount=1, TagSpecifications=[{"ResourceType": "instance", "Tags": tags}]
    )["Instances"][0]["InstanceId"]
    other = ec2.run_instances(ImageId=source, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]

    assert sweep_leftover_instances(ec2, timedelta(hours=2), log=lambda line: None) == []  # may be building
    later = datetime.now(UTC) + timedelta(hours=3)
    assert sweep_leftover_instances(ec2, timedelta(hours=2), now=later, log=lambda line: None) == [leftover]
    states = {
        i["InstanceId"]: i["State"]["Name"]
        for r in ec2.describe_instances()["Reservations"]
        for i in r["Instances"]
    }
    assert states[leftover] == "terminated" and states[other] == "running"


def test_retention_job_runs_against_the_configured_region(aws_endpoint) -> None:
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=aws_endpoint)
    source = base_image(aws_endpoint)
    ours = {"BuiltBy": "credex-orchestration", "Neo4jEdition": "enterprise", "Status": "failed"}
    failed, _ = make_image(ec2, source, "neo4j-enterprise-5.26.1-20260101T000000Z", **ours)
    result = neo4j_ami_retention.execute_in_process(
        resources={"neo4j_images": Neo4jImagesResource(endpoint_url=aws_endpoint, region=REGION)}
    )
    assert result.success
    assert ec2.describe_images(ImageIds=[failed])["Images"] == []
