"""A whole environment materialised through Dagster, on the fixture roots, with the real Terraform engine."""

from __future__ import annotations

import pytest
from dagster import AssetKey, DagsterInstance

from credex_orchestration.definitions import build_definitions
from credex_orchestration.deploy.config import deploy_run_config
from credex_orchestration.deploy.preflight import RunConfigRefused
from credex_orchestration.resources import AwsResource

from .support.runs import latest_metadata as _metadata
from .support.runs import step_failure

AMI = "ami-0123456789abcdef0"


@pytest.fixture
def environments(tmp_path):
    """These tests are about Terraform ordering: post-deploy checks (tests/test_verification_run.py) are off."""
    from .support.environments import local_environments

    return local_environments(
        tmp_path, overrides={name: {"verification.enabled": False} for name in ("development", "staging")}
    )


@pytest.fixture
def deploy(environments, terraform):
    defs = build_definitions(environments, resources={"terraform": terraform, "aws": AwsResource()})
    instance = DagsterInstance.ephemeral()

    def run(job: str, run_config: dict, raise_on_error: bool = True):
        return defs.resolve_job_def(job).execute_in_process(
            run_config=run_config, instance=instance, raise_on_error=raise_on_error
        )

    def record_ami(edition: str = "community") -> None:
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance,
            asset_selection=[AssetKey(["neo4j_ami", edition])],
            run_config={"ops": {f"neo4j_ami__{edition}": {"config": {"ami_id": AMI}}}},
        )
        assert result.success

    run.instance = instance
    run.record_ami = record_ami
    return run


def test_development_deploys_in_order_and_a_redeploy_applies_nothing(deploy, environments, terraform) -> None:
    env = environments["development"]
    deploy.record_ami("community")
    result = deploy("deploy_development", deploy_run_config(env, git_sha="abc1234"))
    assert result.success
    components = ["development__connectors", "development__databases", "development__app"]
    order = [event.step_key for event in result.get_step_success_events() if event.step_key in components]
    assert order == components

    connectors = _metadata(deploy.instance, "development", "connectors")
    assert connectors["applied"] is True and connectors["plan_add"] == 3
    assert connectors["workspace"] == "connectors_development"
    assert connectors["outputs"]["vpc_id"].startswith("vpc-")
    databases = _metadata(deploy.instance, "development", "databases")
    assert databases["outputs"]["neo4j_ami_id"] == AMI
    assert databases["outputs"]["neo4j_secret_arn"].endswith(":secret:neo4j_dev_secrets")
    app = _metadata(deploy.instance, "development", "app")
    assert app["outputs"]["image_tag"] == "abc1234"
    assert app["outputs"]["service_name"] == "credex-core-service-development"
    # Downstream read upstream's state: the task definition saw the ECR URL connectors recorded.
    assert "create: terraform_data.task_definition" in app["changed_addresses"]

    again = deploy("deploy_development", deploy_run_config(env))  # no git_sha: keeps the deployed image
    assert again.success
    for component in ("connectors", "databases", "app"):
        metadata = _metadata(deploy.instance, "development", component)
        assert metadata["applied"] is False and metadata["plan_has_changes"] is False
    assert _metadata(deploy.instance, "development", "app")["outputs"]["image_tag"] == "abc1234"

    new_image = deploy("deploy_development", deploy_run_config(env, git_sha="def5678"))
    assert new_image.success
    assert _metadata(deploy.instance, "development", "connectors")["applied"] is False
    app = _metadata(deploy.instance, "development", "app")
    assert app["applied"] is True and app["outputs"]["image_tag"] == "def5678"
    # Other environments' state is untouched.
    assert terraform.workspace(environments["staging"], "app").outputs() == {}


def test_databases_without_an_ami_fail_with_the_way_out(deploy, environments) -> None:
    env = environments["staging"]
    result = deploy("deploy_staging", deploy_run_config(env, git_sha="abc1234"), raise_on_error=False)
    assert not result.success
    message = step_failure(result, "staging__databases")
    assert "neo4j_ami/community" in message and "neo4j.ami_id" in message
    # The app never ran: nothing deployed on a missing AMI.
    assert deploy.instance.get_latest_materialization_event(AssetKey(["staging", "app"])) is None


def test_first_app_deploy_needs_a_git_sha(deploy, environments) -> None:
    env = environments["development"]
    deploy.record_ami("community")
    result = deploy("deploy_development", deploy_run_config(env), raise_on_error=False)
    assert "give git_sha" in step_failure(result, "development__app")
    with pytest.raises(RunConfigRefused, match="is not a git SHA"):
        deploy_run_config(env, git_sha="main; rm -rf /")
    config = deploy_run_config(env)
    config["ops"]["development__app"]["config"]["git_sha"] = "main; rm -rf /"
    bad = deploy("deploy_development", config, raise_on_error=False)
    # Refused by the run's first step, before connectors or databases planned anything.
    assert "is not a git SHA" in step_failure(bad, "development__connectors")
    assert not any(e.event_type_value == "ASSET_MATERIALIZATION" for e in bad.all_events)
