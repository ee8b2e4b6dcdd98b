"""The Neo4j AMI builder against moto (EC2 + SSM in server mode) and a loopback RPM repository index.

Neo4j cannot run here and moto never runs user data: `InstanceStandIn` plays the builder and smoke-test
instances by writing their SSM signal parameter (see tests/support/neo4j_images.py). Everything else (launch,
stop, create_image, tags, snapshots, termination) is moto's real behaviour. Each case ends with zero live
builder or smoke-test instances.
"""

from __future__ import annotations

import time

import boto3
import pytest
from dagster import DagsterExecutionInterruptedError

from credex_orchestration.images.build import (
    BUILDER_PURPOSE,
    SMOKE_PURPOSE,
    AmiBuilder,
    BadBuildRequest,
    BuilderTimeout,
    ImageBuildError,
)
from credex_orchestration.images.settings import BuildSettings

from .support.neo4j_images import InstanceStandIn, base_image, live_instances, repository_server

REGION = "af-south-1"
RUN_ID = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
PACKAGES = {"neo4j": ["5.26.11", "5.26.12", "2025.10.1"], "neo4j-enterprise": ["5.26.12"]}


@pytest.fixture
def repository():
    with repository_server(PACKAGES) as url:
        yield url


@pytest.fixture
def clients(aws_endpoint):
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=aws_endpoint)
    ssm = boto3.client("ssm", region_name=REGION, endpoint_url=aws_endpoint)
    return ec2, ssm


def make_builder(clients, repository, **overrides) -> AmiBuilder:
    values = {
        "base_image_parameter": "/test/al2023",
        "repository_url": repository,
        "build_timeout_seconds": 2,
        "smoke_timeout_seconds": 2,
        "image_timeout_seconds": 2,
        "poll_interval_seconds": 0.05,
        **overrides,
    }
    settings = BuildSettings(**values)
    return AmiBuilder(*clients, settings, log=lambda line: None)


def assert_no_instances_left(endpoint: str) -> None:
    assert live_instances(endpoint, BUILDER_PURPOSE) == []
    assert live_instances(endpoint, SMOKE_PURPOSE) == []


def all_instances(ec2) -> list[dict]:
    return [i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]]


def test_build_and_smoke_test_tag_the_image_and_leave_nothing_running(
    aws_endpoint, clients, repository
) -> None:
    ec2, ssm = clients
    source = base_image(aws_endpoint)
    builder = make_builder(clients, repository)
    with InstanceStandIn(aws_endpoint) as stand_in:
        result = builder.build("community", "5.26.12", RUN_ID)
        smoke = builder.smoke_test(result.ami_id, "community", "5.26.12", RUN_ID)

    assert result.source_ami == source and result.version == "5.26.12" and result.edition == "community"
    assert result.image_name.startswith("neo4j-community-5.26.12-") and result.image_name.endswith("Z")
    image = ec2.describe_images(ImageIds=[result.ami_id])["Images"][0]
    tags = {t["Key"]: t["Value"] for t in image["Tags"]}
    assert tags["Neo4jVersion"] == "5.26.12" and tags["Neo4jEdition"] == "community"
    assert tags["SourceAmi"] == source and tags["BuiltBy"] == "credex-orchestration"
    assert tags["DagsterRunId"] == RUN_ID and tags["Status"] == "passed"
    found = ec2.describe_images(
        Owners=["self"], Filters=[{"Name": "tag:Neo4jVersion", "Values": ["5.26.12"]}]
    )
    assert [i["ImageId"] for i in found["Images"]] == [result.ami_id]
    assert smoke.passed and smoke.reported_version == "5.26.12", smoke.detail

    # The builder ran the rendered user data: exactly this package and version, from the configured repo.
    builder_data = stand_in.user_data[result.builder_instance_id]
    assert "dnf install -y neo4j-5.26.12" in builder_data and f"baseurl={repository}" in builder_data
    assert "heap_mb=$(( total_mb * 25 / 100 ))" in builder_data
    assert "cache_mb=$(( total_mb * 50 / 100 ))" in builder_data
    builder_tags = {
        t["Key"]: t["Value"]
        for i in all_instances(ec2)
        if i["InstanceId"] == result.builder_instance_id
        for t in i["Tags"]
    }
    assert builder_tags["Purpose"] == BUILDER_PURPOSE and builder_tags["DagsterRunId"] == RUN_ID
    assert_no_instances_left(aws_endpoint)
    # The signal parameters are removed after use.
    assert ssm.describe_parameters()["Parameters"] == [] or all(
        not p["Name"].startswith("/credex/neo4j-ami/") for p in ssm.describe_parameters()["Parameters"]
    )


def test_enterprise_installs_the_enterprise_package(aws_endpoint, clients, repository) -> None:
    base_image(aws_endpoint)
    with InstanceStandIn(aws_endpoint) as stand_in:
        result = make_builder(clients, repository).build("enterprise", "5.26.12", RUN_ID)
    assert "dnf install -y neo4j-enterprise-5.26.12" in stand_in.user_data[result.builder_instance_id]
    assert "NEO4J_ACCEPT_LICENSE_AGREEMENT=yes" in stand_in.user_data[result.builder_instance_id]
    assert_no_instances_left(aws_endpoint)


@pytest.mark.parametrize(
    ("behaviour", "error", "message"),
    [
        ("silent", BuilderTimeout, "did not signal within 2s"),
        ("fail", ImageBuildError, "signalled failure at stage 'install'"),
    ],
)
def test_builder_faults_terminate_the_builder_and_create_no_image(
    aws_endpoint, clients, repository, behaviour, error, message
) -> None:
    ec2, _ = clients
    base_image(aws_endpoint)
    with InstanceStandIn(aws_endpoint, build=behaviour), pytest.raises(error, match=message):
        make_builder(clients, repository).build("community", "5.26.12", RUN_ID)
    assert (
        ec2.describe_images(Owners=["self"], Filters=[{"Name": "tag:BuiltBy", "Values": ["*"]}])["Images"]
        == []
    )
    assert [i["State"]["Name"] for i in all_instances(ec2)] == ["terminated"]
    assert_no_instances_left(aws_endpoint)


def test_failed_image_creation_deregisters_the_image_and_terminates_the_builder(
    aws_endpoint, clients, repository
) -> None:
    """moto's images are available at once: a hook on the client reports the new image as `failed`, a
    state sequence moto cannot produce (the builder's handling of it is what is tested)."""
    ec2, _ = clients
    base_image(aws_endpoint)

    def fail_new_images(parsed, **kwargs) -> None:
        for image in parsed.get("Images", []):
            if image.get("Name", "").startswith("neo4j-"):
                image["State"] = "failed"
                image["StateReason"] = {"Code": "Client.InternalError", "Message": "snapshot failed"}

    ec2.meta.events.register("after-call.ec2.DescribeImages", fail_new_images)
    with InstanceStandIn(aws_endpoint), pytest.raises(ImageBuildError, match="is failed: snapshot failed"):
        make_builder(clients, repository).build("community", "5.26.12", RUN_ID)
    ec2.meta.events.unregister("after-call.ec2.DescribeImages", fail_new_images)
    assert (
        ec2.describe_images(Owners=["self"], Filters=[{"Name": "tag:BuiltBy", "Values": ["*"]}])["Images"]
        == []
    )
    assert_no_instances_left(aws_endpoint)


@pytest.mark.parametrize("smoke", ["fail", "wrong-version", "silent"])
def test_failed_smoke_test_tags_the_image_failed(aws_endpoint, clients, repository, smoke) -> None:
    ec2, _ = clients
    base_image(aws_endpoint)
    builder = make_builder(clients, repository)
    with InstanceStandIn(aws_endpoint, smoke=smoke):
        result = builder.build("community", "5.26.12", RUN_ID)
        outcome = builder.smoke_test(result.ami_id, "community", "5.26.12", RUN_ID)
    assert not outcome.passed
    expected = {
        "fail": "did not come up",
        "wrong-version": "reports community 4.4.0",
        "silent": "did not signal",
    }
    assert expected[smoke] in outcome.detail
    tags = {t["Key"]: t["Value"] for t in ec2.describe_images(ImageIds=[result.ami_id])["Images"][0]["Tags"]}
    assert tags["Status"] == "failed"
    assert_no_instances_left(aws_endpoint)


def test_cancelled_run_terminates_the_builder(aws_endpoint, clients, repository) -> None:
    ec2, _ = clients
    base_image(aws_endpoint)
    builder = make_builder(clients, repository)

    def interrupted(seconds: float) -> None:
        assert live_instances(aws_endpoint, BUILDER_PURPOSE), "the builder runs while the step waits"
        raise DagsterExecutionInterruptedError()

    builder.sleep = interrupted
    with InstanceStandIn(aws_endpoint, build="silent"), pytest.raises(DagsterExecutionInterruptedError):
        builder.build("community", "5.26.12", RUN_ID)
    assert_no_instances_left(aws_endpoint)

    builder.sleep = time.sleep
    with InstanceStandIn(aws_endpoint, build="success", smoke="silent"):
        result = builder.build("community", "5.26.12", RUN_ID)

        def ctrl_c(seconds: float) -> None:
            raise KeyboardInterrupt

        builder.sleep = ctrl_c
        with pytest.raises(KeyboardInterrupt):
            builder.smoke_test(result.ami_id, "community", "5.26.12", RUN_ID)
    assert_no_instances_left(aws_endpoint)
    tags = {t["Key"]: t["Value"] for t in ec2.describe_images(ImageIds=[result.ami_id])["Images"][0]["Tags"]}
    assert tags["Status"] == "failed"  # an interrupted smoke test never lets the image be used


@pytest.mark.parametrize(
    ("edition", "version", "parameter", "message"),
    [
        ("enterprize", "5.26.12", "/test/al2023", "unknown Neo4j edition 'enterprize'"),
        ("community", "5.26.99", "/test/al2023", "Neo4j community 5.26.99 is not in the package repository"),
        ("enterprise", "2025.10.1", "/test/al2023", "package neo4j-enterprise"),
        ("community", "latest", "/test/al2023", "is not a release version"),
        ("community", "5.26.12", "/test/missing", "base-image parameter /test/missing does not resolve"),
        (
            "community",
            "5.26.12",
            "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
            "is not available in region af-south-1",
        ),
    ],
)
def test_bad_input_fails_before_any_instance_is_launched(
    aws_endpoint, clients, repository, edition, version, parameter, message
) -> None:
    """The last case: moto publishes the real AL2023 parameter, but the image it names does not exist in
    this (emulated) region, as for a region without the base image."""
    ec2, _ = clients
    base_image(aws_endpoint)
    builder = make_builder(clients, repository, base_image_parameter=parameter)
    with pytest.raises(BadBuildRequest, match=message):
        builder.build(edition, version, RUN_ID)
    assert all_instances(ec2) == []


def test_unreachable_repository_is_a_clear_error(aws_endpoint, clients) -> None:
    ec2, _ = clients
    base_image(aws_endpoint)
    builder = make_builder(clients, "http://127.0.0.1:9/stable")
    with pytest.raises(BadBuildRequest, match="cannot read the Neo4j package repository index"):
        builder.build("community", "5.26.12", RUN_ID)
    assert all_instances(ec2) == []
