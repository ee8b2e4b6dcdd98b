"""Neo4j AMIs through Dagster on moto: built, smoke-tested, and only a passing one ever deployed.

The AMI builder's instances are played by `InstanceStandIn` (moto never runs user data; Neo4j cannot run
here). The roll-out of a new AMI onto the databases (refusal, snapshots, one instance at a time, an unhealthy
instance stopping it, the protected environment's confirmation) runs on the real databases root, the real
provider and moto in tests/test_rehearsal_changes.py.
"""

from __future__ import annotations

import boto3
import pytest
from dagster import AssetKey, DagsterInstance, Definitions

from credex_orchestration.components.databases import NoNeo4jImage, pinned_ami
from credex_orchestration.images import definitions as images
from credex_orchestration.images.settings import Neo4jImagesResource
from credex_orchestration.resources import AwsResource

from .support.environments import local_environments
from .support.neo4j_images import InstanceStandIn, base_image, live_instances, repository_server
from .support.runs import latest_metadata, step_failure

REGION = "af-south-1"


@pytest.fixture
def envs(tmp_path):
    return local_environments(tmp_path)


@pytest.fixture
def ec2(aws_endpoint):
    return boto3.client("ec2", region_name=REGION, endpoint_url=aws_endpoint)


@pytest.fixture
def dagster(envs, aws_endpoint):
    with repository_server({"neo4j": ["5.26.12"], "neo4j-enterprise": ["5.26.12"]}) as repository:
        resource = Neo4jImagesResource(
            endpoint_url=aws_endpoint,
            base_image_parameter="/test/al2023",
            repository_url=repository,
            build_timeout_seconds=2,
            smoke_timeout_seconds=2,
            image_timeout_seconds=2,
            poll_interval_seconds=0.05,
        )
        defs = Definitions.merge(
            images.build(envs, resource),
            Definitions(resources={"aws": AwsResource(endpoint_url=aws_endpoint)}),
        )
        instance = DagsterInstance.ephemeral()

        def materialise_ami(edition: str, config: dict):
            return defs.resolve_implicit_global_asset_job_def().execute_in_process(
                instance=instance,
                asset_selection=[AssetKey(["neo4j_ami", edition])],
                run_config={"ops": {f"neo4j_ami__{edition}": {"config": config}}},
                raise_on_error=False,
            )

        yield instance, materialise_ami


def test_ami_is_built_smoke_tested_and_only_a_passing_one_is_used(dagster, envs, ec2, aws_endpoint) -> None:
    instance, materialise_ami = dagster
    source = base_image(aws_endpoint)
    env = envs["development"]
    with InstanceStandIn(aws_endpoint):
        good = materialise_ami("community", {"version": "5.26.12"})  # the release sensor's run config
    assert good.success
    metadata = latest_metadata(instance, "neo4j_ami", "community")
    assert metadata["version"] == "5.26.12" and metadata["edition"] == "community"
    assert metadata["source_ami"] == source and metadata["build_duration_seconds"] > 0
    ami = metadata["ami_id"]
    assert pinned_ami(env, instance) == ami

    with InstanceStandIn(aws_endpoint, smoke="wrong-version"):
        bad = materialise_ami("community", {"version": "5.26.12"})
    assert not bad.success  # the blocking smoke test failed the run
    evaluation = [e for e in bad.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"][0]
    assert not evaluation.event_specific_data.passed
    bad_ami = latest_metadata(instance, "neo4j_ami", "community")["ami_id"]
    assert bad_ami != ami
    tags = {t["Key"]: t["Value"] for t in ec2.describe_images(ImageIds=[bad_ami])["Images"][0]["Tags"]}
    assert tags["Status"] == "failed"
    assert pinned_ami(env, instance) == ami  # the failed image is never used
    with pytest.raises(NoNeo4jImage, match="smoke test passed"):
        pinned_ami(envs["production"], instance)  # enterprise: nothing passing yet
    assert live_instances(aws_endpoint, "neo4j-ami-builder") == []
    assert live_instances(aws_endpoint, "neo4j-ami-smoke-test") == []


def test_bad_version_fails_the_materialisation_before_launching(dagster, ec2, aws_endpoint) -> None:
    _, materialise_ami = dagster
    base_image(aws_endpoint)
    result = materialise_ami("community", {"version": "5.99.0"})
    assert not result.success
    assert "Neo4j community 5.99.0 is not in the package repository" in step_failure(result)
    assert ec2.describe_instances()["Reservations"] == []
