"""A failed deploy step says what is wrong first, whole, with its remedy: real Terraform and moto."""

from __future__ import annotations

import shutil

from dagster import AssetKey, DagsterInstance

from credex_orchestration.definitions import build_definitions
from credex_orchestration.deploy.config import deploy_run_config
from credex_orchestration.lib.remedies import explain, remedy_for
from credex_orchestration.notifications.message import report
from credex_orchestration.resources import AwsResource, TerraformResource

from .conftest import FIXTURE_ROOTS
from .support.aws_provider import write_connectors_root
from .support.deploys import fixture_deploy_overrides
from .support.environments import local_environments

CONNECTORS = AssetKey(["development", "connectors"])


def _failed_connectors(tmp_path, environments, terraform):
    defs = build_definitions(environments, resources={"terraform": terraform, "aws": AwsResource()})
    instance = DagsterInstance.ephemeral()
    result = defs.resolve_job_def("deploy_development").execute_in_process(
        run_config=deploy_run_config(environments["development"], ["connectors"]),
        instance=instance,
        asset_selection=[CONNECTORS],
        raise_on_error=False,
    )
    assert not result.success
    [failure] = result.get_step_failure_events()
    return result, failure, failure.event_specific_data.error


def test_a_missing_provider_is_named_as_such_with_its_remedy(tmp_path) -> None:
    """Without a provider mirror Terraform installs from the registry, which this machine cannot reach."""
    roots = tmp_path / "roots"
    shutil.copytree(FIXTURE_ROOTS, roots)
    shutil.rmtree(roots / "connectors")
    write_connectors_root(roots / "connectors", revision=1)
    environments = local_environments(tmp_path, fixture_deploy_overrides("development"))
    # No mirror (provider_mirror=""): the registry, which this machine cannot reach.
    terraform = TerraformResource(roots_dir=str(roots), work_dir=str(tmp_path / "work"), provider_mirror="")
    result, failure, error = _failed_connectors(tmp_path, environments, terraform)
    first = error.message.splitlines()[0]
    assert "development/connectors: Terraform could not install the hashicorp/aws provider" in first
    assert "not a state backend problem" in first and "filesystem_mirror" in first
    # Terraform's own words follow, whole (no cut at 500 characters).
    assert "Failed to query available provider packages" in error.message
    assert "terraform providers" in error.message
    # The team's Slack message leads with the same cause.
    text = report(result.dagster_run, [failure], [], None, None).text()
    assert "error: development/connectors: Terraform could not install the hashicorp/aws provider" in text


def test_credentials_of_another_account_are_refused_with_the_remedy(
    tmp_path, terraform, aws_endpoint
) -> None:
    overrides = fixture_deploy_overrides("development")
    overrides["development"]["aws.account_id"] = "111111111111"  # moto answers 123456789012
    environments = local_environments(tmp_path, overrides)
    _, _, error = _failed_connectors(tmp_path, environments, terraform)
    assert (
        "Failure: development/connectors: the AWS credentials are of another account than the environment's "
        "`aws.account_id`. Remedy:" in error.message.splitlines()[0]
    )
    assert "credentials belong to AWS account 123456789012, but the environment expects 111111111111" in (
        error.message
    )


def test_known_causes_and_unknown_ones() -> None:
    assert "state bucket" in remedy_for("operation error S3: HeadObject, NoSuchBucket: gone").cause
    assert "AMI" in remedy_for("InvalidAMIID.NotFound: The image id '[ami-0abc]' does not exist").cause
    assert remedy_for("something else entirely") is None
    assert explain("staging/app", "boom") == "staging/app: boom"
