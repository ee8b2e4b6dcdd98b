"""Production deploys: refused unless confirmed; the branch-push sensor's requests run end to end.

Deploys run through Dagster on the Terraform fixture roots; the sensor reads a real bare repository and
moto's ECR.
"""

from __future__ import annotations

import json

import boto3
import pytest
from dagster import DagsterInstance, SensorResult, build_sensor_context

from credex_orchestration.definitions import build_definitions
from credex_orchestration.deploy.config import deploy_run_config
from credex_orchestration.deploy.guards import DeployRefused, check_deploy_allowed
from credex_orchestration.notifications.slack import SlackNotifier
from credex_orchestration.resources import AwsResource
from credex_orchestration.triggers.branch_push import build_sensor
from credex_orchestration.triggers.resources import CredexCoreRepository

from .support.git_remote import GitRemote
from .support.runs import latest_metadata, materialized, step_failure

AMI = "ami-0123456789abcdef0"


@pytest.fixture
def environments(tmp_path):
    """The checked-in environments without quiet windows, so ticks behave the same at any hour; production's
    AMI is pinned (this test is about the guard, not the AMI pipeline)."""
    from .support.environments import local_environments

    overrides = {
        name: {"triggers.quiet_windows_utc": []} for name in ("development", "staging", "production")
    }
    overrides["production"]["neo4j.ami_id"] = AMI
    return local_environments(tmp_path, overrides)


@pytest.fixture
def deploy(environments, terraform, tmp_path, aws_endpoint):
    remote_root = tmp_path / "git"
    remote = GitRemote(remote_root)
    remote.commit(
        {"src/index.ts": "1\n", "terraform/databases/main.tf": "#\n", "docs/a.md": "a\n"}, "initial"
    )
    remote.checkout("prod", create_from="dev")
    remote.push("prod")
    aws = AwsResource(endpoint_url=aws_endpoint)
    repository = CredexCoreRepository(url=remote.url, cache_dir=str(tmp_path / "cache"))
    defs = build_definitions(
        environments, resources={"terraform": terraform, "aws": aws, "credex_core": repository}
    )
    instance = DagsterInstance.ephemeral()
    ecr = boto3.client("ecr", endpoint_url=aws_endpoint, region_name="af-south-1")
    ecr.create_repository(repositoryName="credex-core-production")

    class Deploy:
        def run(self, run_config, tags=None, asset_selection=None):
            return defs.resolve_job_def("deploy_production").execute_in_process(
                run_config=run_config,
                tags=tags,
                asset_selection=asset_selection,
                instance=instance,
                raise_on_error=False,
            )

        def push(self, files: dict[str, str]) -> str:
            sha = remote.commit(files, "change")
            remote.push("prod")
            manifest = {
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            }
            ecr.put_image(
                repositoryName="credex-core-production", imageManifest=json.dumps(manifest), imageTag=sha
            )
            return sha

        def tick(self):
            sensor = build_sensor(environments["production"], environments)
            with build_sensor_context(
                instance=instance,
                resources={"credex_core": repository, "aws": aws, "slack": SlackNotifier()},
                sensor_name=sensor.name,
            ) as context:
                return sensor(context)

    helper = Deploy()
    helper.instance, helper.remote, helper.terraform = instance, remote, terraform
    return helper


def test_production_is_refused_before_terraform_runs_and_sensor_requests_deploy(deploy, environments) -> None:
    production = environments["production"]
    initial = deploy.remote.git("rev-parse", "prod")
    data_dir = deploy.terraform.work_path / "data" / "production"

    refused = deploy.run(deploy_run_config(production, git_sha=initial))
    assert not refused.success
    message = step_failure(refused, "production__connectors")
    assert "confirm_environment: production" in message and "refused, nothing was run" in message
    assert not data_dir.exists()  # not even `terraform init`

    forged = deploy.run(
        deploy_run_config(production, git_sha=initial, confirm_environment="production"),
        tags={"credex/trigger": "branch-push", "credex/branch": "stage"},
    )
    assert "must come from branch 'prod', not 'stage'" in step_failure(forged, "production__connectors")
    assert not data_dir.exists()

    # Confirmed, but nothing of it ever passed staging: the promotion check refuses it, before Terraform.
    unverified = deploy.run(deploy_run_config(production, git_sha=initial, confirm_environment="production"))
    assert "never deployed cleanly in staging" in step_failure(unverified, "production__connectors")
    assert not data_dir.exists()

    # Production is always verified; the fixture roots have no ECS service behind them, so the app's checks
    # fail after the components deployed. What matters here is that the guard let the components run.
    components = {"production/connectors", "production/databases", "production/app"}
    config = deploy_run_config(production, git_sha=initial, confirm_environment="production")
    for op in config["ops"].values():
        op["config"]["override_promotion"] = "first deploy of production"
    manual = deploy.run(config)
    assert components <= materialized(manual)
    assert latest_metadata(deploy.instance, "production", "app")["outputs"]["image_tag"] == initial

    # A push to prod whose tree staging never verified: the sensor holds it (tests/test_promotion.py
    # follows a verified one through).
    deploy.push({"src/index.ts": "2\n", "docs/a.md": "b\n"})
    result = deploy.tick()
    assert isinstance(result, SensorResult) and not result.run_requests
    assert "never passed staging's blocking checks" in result.skip_reason.skip_message


def test_guard_rules_without_a_run(environments) -> None:
    production, staging = environments["production"], environments["staging"]
    check_deploy_allowed(staging, "app", {}, "")
    check_deploy_allowed(
        production, "app", {"credex/trigger": "branch-push", "credex/branch": "prod"}, "production"
    )
    check_deploy_allowed(production, "connectors", {}, "production")  # confirmed by hand
    with pytest.raises(DeployRefused, match="set confirm_environment: production"):
        check_deploy_allowed(
            production, "app", {"credex/trigger": "branch-push", "credex/branch": "prod"}, ""
        )
    with pytest.raises(
        DeployRefused, match="confirm_environment is 'production' but this run deploys 'staging'"
    ):
        check_deploy_allowed(staging, "app", {}, "production")
