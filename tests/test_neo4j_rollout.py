"""Neo4j AMIs through Dagster, and their roll-out onto the databases, on fixture roots and moto.

The fixture databases root models the instances as `terraform_data` whose `triggers_replace = var.ami_id`,
so a new AMI plans a replacement exactly as on AWS. Terraform cannot create EC2 instances here (no AWS
provider), so the tests create the EBS volumes and the replaced `Neo4j-<Space>-<env>` instances in moto
themselves, as the databases root would on AWS; the health wait then reads them from moto. The AMI
builder's instances are played by `InstanceStandIn` (moto never runs user data; Neo4j cannot run here).
"""

from __future__ import annotations

import boto3
import pytest
from dagster import AssetKey, DagsterInstance, Definitions

from credex_orchestration.components import definitions as components
from credex_orchestration.components.databases import NoNeo4jImage, pinned_ami
from credex_orchestration.deploy.config import deploy_run_config
from credex_orchestration.images import definitions as images
from credex_orchestration.images.settings import Neo4jImagesResource
from credex_orchestration.resources import AwsResource

from .support.databases import data_volumes, neo4j_instance, our_snapshots, register_ami, state_ami
from .support.environments import local_environments
from .support.neo4j_images import InstanceStandIn, base_image, live_instances, repository_server
from .support.runs import latest_metadata, step_failure

REGION = "af-south-1"
FAST = {
    "database_rollout.health_timeout_seconds": 1,
    "database_rollout.poll_interval_seconds": 0.1,
    "backups.poll_interval_seconds": 0.1,
}


@pytest.fixture
def envs(tmp_path):
    return local_environments(tmp_path, {name: FAST for name in ("development", "staging", "production")})


@pytest.fixture
def ec2(aws_endpoint):
    return boto3.client("ec2", region_name=REGION, endpoint_url=aws_endpoint)


@pytest.fixture
def dagster(envs, terraform, aws_endpoint):
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
            components.build(envs),
            Definitions(resources={"terraform": terraform, "aws": AwsResource(endpoint_url=aws_endpoint)}),
        )
        instance = DagsterInstance.ephemeral()

        def materialise_ami(edition: str, config: dict):
            return defs.resolve_implicit_global_asset_job_def().execute_in_process(
                instance=instance,
                asset_selection=[AssetKey(["neo4j_ami", edition])],
                run_config={"ops": {f"neo4j_ami__{edition}": {"config": config}}},
                raise_on_error=False,
            )

        def deploy(env, allow: bool = False, **kwargs):
            """connectors and databases (the app plays no part in the databases' safety)."""
            components = ("connectors", "databases")
            config = deploy_run_config(env, components, **kwargs)
            config["ops"][f"{env.name}__databases"]["config"]["allow_database_replacement"] = allow
            for op in (
                config["ops"].values() if env.promote_from else ()
            ):  # promotion: tests/test_promotion.py
                op["config"]["override_promotion"] = "roll-out test"
            return defs.resolve_implicit_global_asset_job_def().execute_in_process(
                run_config=config,
                instance=instance,
                asset_selection=[AssetKey([env.name, component]) for component in components],
                raise_on_error=False,
            )

        yield instance, materialise_ami, deploy


def test_ami_is_built_smoke_tested_and_only_a_passing_one_is_used(dagster, envs, ec2, aws_endpoint) -> None:
    instance, materialise_ami, _ = dagster
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
    _, materialise_ami, _ = dagster
    base_image(aws_endpoint)
    result = materialise_ami("community", {"version": "5.99.0"})
    assert not result.success
    assert "Neo4j community 5.99.0 is not in the package repository" in step_failure(result)
    assert ec2.describe_instances()["Reservations"] == []


@pytest.fixture
def deployed(dagster, envs, ec2):
    """development deployed on AMI `old`; AMI `new` recorded as the latest passing one."""
    instance, materialise_ami, deploy = dagster
    old, new = register_ami(ec2, "neo4j-community-old"), register_ami(ec2, "neo4j-community-new")
    assert materialise_ami("community", {"ami_id": old}).success
    assert deploy(envs["development"]).success
    assert materialise_ami("community", {"ami_id": new}).success
    return old, new


def test_a_new_ami_is_refused_without_the_allow_flag_and_nothing_is_applied(
    dagster, deployed, envs, terraform, ec2
) -> None:
    instance, _, deploy = dagster
    old, _new = deployed
    env = envs["development"]
    result = deploy(env)
    assert not result.success
    message = step_failure(result, "development__databases")
    assert (
        "replace: terraform_data.ledgerspace" in message and "replace: terraform_data.searchspace" in message
    )
    assert "allow_database_replacement: true" in message and "Nothing was applied" in message
    assert state_ami(terraform, env, "terraform_data.ledgerspace") == old
    assert state_ami(terraform, env, "terraform_data.searchspace") == old
    assert terraform.workspace(env, "databases").outputs()["neo4j_ami_id"].value == old
    assert our_snapshots(ec2) == []

    # Allowed, but no data volume to snapshot: refused as well, still nothing applied.
    unsafe = deploy(env, allow=True)
    assert "no data volume tagged Environment=development" in step_failure(unsafe, "development__databases")
    assert state_ami(terraform, env, "terraform_data.ledgerspace") == old


def test_allowed_replacement_snapshots_first_then_replaces_ledgerspace_then_searchspace(
    dagster, deployed, envs, terraform, ec2
) -> None:
    instance, _, deploy = dagster
    _old, new = deployed
    env = envs["development"]
    volumes = data_volumes(ec2, "development")
    neo4j_instance(ec2, new, "Neo4j-LedgerSpace-development")
    neo4j_instance(ec2, new, "Neo4j-SearchSpace-development")

    result = deploy(env, allow=True)
    assert result.success, step_failure(result)
    metadata = latest_metadata(instance, "development", "databases")
    order = metadata["replacement_order"]
    assert [step["role"] for step in order] == ["LedgerSpace", "SearchSpace"]
    assert order[0]["addresses"] == ["terraform_data.ledgerspace"]
    assert order[1]["addresses"] == ["terraform_data.searchspace"]
    assert metadata["outputs"]["neo4j_ami_id"] == new
    assert state_ami(terraform, env, "terraform_data.searchspace") == new

    snapshots = our_snapshots(ec2)
    assert sorted(s["VolumeId"] for s in snapshots) == sorted(volumes.values())
    for snapshot in snapshots:
        tags = {t["Key"]: t["Value"] for t in snapshot["Tags"]}
        assert tags["Environment"] == "development" and tags["DagsterRunId"] == result.run_id
        assert volumes[tags["Role"]] == snapshot["VolumeId"] and tags["Purpose"] == "pre-replacement"


def test_unhealthy_ledgerspace_stops_the_rollout_before_searchspace(
    dagster, deployed, envs, terraform, ec2
) -> None:
    _, _, deploy = dagster
    old, new = deployed
    env = envs["development"]
    data_volumes(ec2, "development")
    neo4j_instance(ec2, old, "Neo4j-LedgerSpace-development")  # still the old image: never healthy on `new`

    result = deploy(env, allow=True)
    assert not result.success
    assert "Neo4j-LedgerSpace-development did not become healthy" in step_failure(
        result, "development__databases"
    )
    assert state_ami(terraform, env, "terraform_data.ledgerspace") == new
    assert state_ami(terraform, env, "terraform_data.searchspace") == old  # untouched
    assert len(our_snapshots(ec2)) == 2  # taken before anything changed


def test_production_replacement_also_needs_the_confirmation(dagster, envs, terraform, ec2) -> None:
    _, materialise_ami, deploy = dagster
    env = envs["production"]
    old, new = register_ami(ec2, "neo4j-enterprise-old"), register_ami(ec2, "neo4j-enterprise-new")
    assert materialise_ami("enterprise", {"ami_id": old}).success
    assert deploy(env, confirm_environment="production").success
    assert materialise_ami("enterprise", {"ami_id": new}).success
    data_volumes(ec2, "production")

    result = deploy(env, allow=True)
    # The general production guard refuses before the first component runs.
    message = step_failure(result)
    assert "confirm_environment: production" in message and "nothing was run" in message
    assert state_ami(terraform, env, "terraform_data.ledgerspace") == old
    assert our_snapshots(ec2) == []
