"""Scheduled checks on a deployed environment: AMI freshness (moto EC2, loopback package index) and drift
(refresh-only plans on the Terraform fixture roots, with state changed out of band)."""

from __future__ import annotations

import json

import boto3
import pytest
from dagster import AssetCheckKey, AssetKey, AssetMaterialization, DagsterInstance

from credex_orchestration.definitions import build_definitions
from credex_orchestration.deploy.config import deploy_run_config
from credex_orchestration.environments import Environments
from credex_orchestration.resources import AwsResource
from credex_orchestration.triggers.resources import Neo4jPackageIndex

from .support.package_server import RpmRepositoryServer


def evaluations(result, check_name: str) -> dict[str, object]:
    """Check evaluations of a run, by asset key string."""
    found = {}
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if evaluation.check_name == check_name:
                found[evaluation.asset_key.to_user_string()] = evaluation
    return found


def meta(evaluation) -> dict[str, object]:
    return {name: value.value for name, value in evaluation.metadata.items()}


@pytest.fixture
def environments(tmp_path):
    """Deploys here only set up state for the scheduled checks: post-deploy verification is off."""
    from .support.environments import local_environments

    return local_environments(tmp_path, overrides={"staging": {"verification.enabled": False}})


@pytest.fixture
def staging(environments, terraform, aws_endpoint):
    """Only staging, with an AMI in moto tagged with its Neo4j version."""
    only = Environments({"staging": environments["staging"]}, environments.source)
    ec2 = boto3.client("ec2", endpoint_url=aws_endpoint, region_name="af-south-1")
    ami = ec2.register_image(
        Name="neo4j-community-5.26.10",
        RootDeviceName="/dev/xvda",
        BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}],
    )["ImageId"]
    ec2.create_tags(Resources=[ami], Tags=[{"Key": "Neo4jVersion", "Value": "5.26.10"}])
    return only, ami


def test_freshness_and_drift_checks_warn_with_history(staging, terraform, aws_endpoint) -> None:
    environments, ami = staging
    env = environments["staging"]
    with RpmRepositoryServer({"neo4j": ["5.26.9", "5.26.10"]}) as server:
        defs = build_definitions(
            environments,
            resources={
                "terraform": terraform,
                "aws": AwsResource(endpoint_url=aws_endpoint),
                "neo4j_packages": Neo4jPackageIndex(url=server.url),
            },
        )
        instance = DagsterInstance.ephemeral()
        recorded = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance,
            asset_selection=[AssetKey(["neo4j_ami", "community"])],
            run_config={"ops": {"neo4j_ami__community": {"config": {"ami_id": ami}}}},
        )
        assert recorded.success
        deployed = defs.resolve_job_def("deploy_staging").execute_in_process(
            run_config=deploy_run_config(env, git_sha="abc1234"), instance=instance
        )
        assert deployed.success
        assert not evaluations(deployed, "no_drift") and not evaluations(deployed, "ami_freshness")

        def run(job: str):
            result = defs.resolve_job_def(job).execute_in_process(instance=instance)
            assert result.success
            return result

        # Freshness: current, then behind once 5.26.11 is published (pre-releases never count).
        fresh = evaluations(run("ami_freshness_checks"), "ami_freshness")["staging/databases"]
        assert fresh.passed and meta(fresh)["running_version"] == "5.26.10"
        server.packages["neo4j"] += ["5.26.11", "5.26.12~rc1"]
        stale = evaluations(run("ami_freshness_checks"), "ami_freshness")["staging/databases"]
        assert not stale.passed and stale.severity.value == "WARN"
        expected = {"running_version": "5.26.10", "newest_version": "5.26.11", "ami_id": ami}
        assert expected.items() <= meta(stale).items()
        history = instance.event_log_storage.get_asset_check_execution_history(
            AssetCheckKey(AssetKey(["staging", "databases"]), "ami_freshness"), limit=10
        )
        assert len(history) == 2

        # Drift: none right after the deploy.
        clean = evaluations(run("drift_checks"), "no_drift")
        assert set(clean) == {"staging/connectors", "staging/databases", "staging/app"}
        assert all(evaluation.passed for evaluation in clean.values())

        # Someone edits the connectors' state out of band: the refresh-only plan sees it, nothing applies.
        state_file = terraform.work_path / "state/staging/workspaces/connectors_staging/terraform.tfstate"
        state = json.loads(state_file.read_text())
        state["outputs"]["alb_dns_name"]["value"] = "tampered.example.com"
        state_file.write_text(json.dumps(state))
        before = state_file.read_bytes()
        drifted = evaluations(run("drift_checks"), "no_drift")
        connectors = drifted["staging/connectors"]
        assert not connectors.passed and connectors.severity.value == "WARN"
        assert meta(connectors)["changed_outputs"] == ["alb_dns_name"]
        assert "drifted" in connectors.description
        assert drifted["staging/databases"].passed and drifted["staging/app"].passed
        assert state_file.read_bytes() == before  # read-only: never applied
        assert not list((terraform.work_path / "plans").rglob("drift-*.tfplan"))  # plans deleted


def test_checks_on_an_environment_never_deployed(staging, terraform, aws_endpoint) -> None:
    environments, _ = staging
    with RpmRepositoryServer({"neo4j": ["5.26.10"]}) as server:
        defs = build_definitions(
            environments,
            resources={
                "terraform": terraform,
                "aws": AwsResource(endpoint_url=aws_endpoint),
                "neo4j_packages": Neo4jPackageIndex(url=server.url),
            },
        )
        instance = DagsterInstance.ephemeral()
        result = defs.resolve_job_def("ami_freshness_checks").execute_in_process(instance=instance)
        evaluation = evaluations(result, "ami_freshness")["staging/databases"]
        assert not evaluation.passed and "is not deployed" in evaluation.description
        server.status = 500
        result = defs.resolve_job_def("ami_freshness_checks").execute_in_process(instance=instance)
        assert "is not deployed" in evaluations(result, "ami_freshness")["staging/databases"].description
        drift = defs.resolve_job_def("drift_checks").execute_in_process(instance=instance)
        assert drift.success and evaluations(drift, "no_drift") == {}  # nothing deployed, nothing to drift


def test_ami_version_falls_back_to_the_neo4j_ami_record(environments, aws_endpoint) -> None:
    from credex_orchestration.lib.rpm_repository import RpmVersion
    from credex_orchestration.triggers.freshness import ami_version, is_behind

    env, aws = environments["staging"], AwsResource(endpoint_url=aws_endpoint)
    instance = DagsterInstance.ephemeral()
    unknown = "ami-0123456789abcdef0"  # not in EC2 (moto): no tag to read
    assert ami_version(aws, env, unknown, instance) == (None, "")
    for ami, version in ((unknown, "5.26.9"), ("ami-0fedcba9876543210", "5.26.11")):
        instance.report_runless_asset_event(
            AssetMaterialization(
                asset_key=AssetKey(["neo4j_ami", "community"]),
                metadata={"ami_id": ami, "neo4j_version": version},
            )
        )
    assert ami_version(aws, env, unknown, instance) == ("5.26.9", "neo4j_ami/community materialisation")
    assert is_behind("5.26.9", RpmVersion("5.26.11"))
    assert not is_behind("5.26.11", RpmVersion("5.26.11"))
    assert not is_behind("1:2025.01.0", RpmVersion("5.26.11"))
