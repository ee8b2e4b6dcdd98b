"""The maintenance area through Dagster: deploy hooks, cleanup and check jobs, on fixture roots and moto."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from dagster import AssetKey, DagsterInstance

from credex_orchestration import naming
from credex_orchestration.definitions import build_definitions
from credex_orchestration.deploy.config import deploy_run_config
from credex_orchestration.operations.access_keys import key_ages, keys_due
from credex_orchestration.resources import AwsResource

from .support.orphans import tag_spec
from .support.runs import latest_metadata, step_failure

AMI = "ami-0123456789abcdef0"


@pytest.fixture
def dagster(environments, terraform, aws_endpoint):
    defs = build_definitions(
        environments, resources={"terraform": terraform, "aws": AwsResource(endpoint_url=aws_endpoint)}
    )
    instance = DagsterInstance.ephemeral()

    def run(job: str, run_config: dict | None = None, **kwargs):
        return defs.resolve_job_def(job).execute_in_process(
            run_config=run_config or {}, instance=instance, raise_on_error=False, **kwargs
        )

    run.instance = instance
    run.session = AwsResource(endpoint_url=aws_endpoint).session(environments["development"])
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=instance,
        asset_selection=[AssetKey(["neo4j_ami", "community"])],
        run_config={"ops": {"neo4j_ami__community": {"config": {"ami_id": AMI}}}},
    )
    assert result.success
    return run


def _evaluations(result) -> dict[str, object]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def _log_groups(session) -> set[str]:
    return {g["logGroupName"] for g in session.client("logs").describe_log_groups()["logGroups"]}


def test_a_deploy_never_deletes_and_cleanup_deletes_only_its_environment(dagster, environments) -> None:
    dev, staging = environments["development"], environments["staging"]
    logs = dagster.session.client("logs")
    logs.create_log_group(
        logGroupName="/ecs/credex-core-old-development", tags=dict(naming.common_tags(dev, "app"))
    )
    logs.create_log_group(
        logGroupName=naming.log_group(staging), tags=dict(naming.common_tags(staging, "app"))
    )
    everything = {"/ecs/credex-core-old-development", naming.log_group(staging)}

    # use_existing_resources with nothing of ours in AWS imports nothing; a deploy deletes nothing.
    first = dagster(
        "deploy_development", deploy_run_config(dev, git_sha="abc1234", use_existing_resources=True)
    )
    assert first.success and "orphan_cleanup" not in _evaluations(first)
    assert latest_metadata(dagster.instance, "development", "connectors")["imported_existing"] == []
    assert _log_groups(dagster.session) == everything

    delete = {"ops": {"development__cleanup": {"config": {"run_cleanup": True, "min_age_minutes": 0}}}}
    # A run that claims to come from a branch push never deletes.
    pushed = dagster("cleanup_development", delete, tags={"credex/trigger": "branch-push"})
    assert not pushed.success and "branch push" in step_failure(pushed)
    assert _log_groups(dagster.session) == everything

    # By hand: development's orphan goes, staging's stays.
    result = dagster("cleanup_development", delete)
    assert result.success
    (output,) = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    assert output.event_specific_data.metadata["deleted"].value == [
        "logs:log-group /ecs/credex-core-old-development (/ecs/credex-core-old-development)"
    ]
    assert _log_groups(dagster.session) == {naming.log_group(staging)}


def test_use_existing_resources_refuses_an_import_the_root_cannot_take(
    dagster, environments, terraform
) -> None:
    """A VPC exists under development's name; the fixture root has no aws_vpc.main, so the import is refused
    before Terraform imports anything, and the step names the address and the root."""
    dev = environments["development"]
    vpc = dagster.session.client("ec2").create_vpc(
        CidrBlock="10.1.0.0/16", TagSpecifications=tag_spec("vpc", dev, Name=naming.vpc(dev))
    )["Vpc"]["VpcId"]
    failed = dagster("deploy_development", deploy_run_config(dev, use_existing_resources=True))
    assert not failed.success
    message = step_failure(failed, "development__connectors")
    assert "aws_vpc.main: no resource block aws_vpc.main" in message and "nothing imported" in message
    assert terraform.workspace(dev, "connectors").state_list() == []
    assert vpc in message or "aws_vpc.main" in message


def test_cleanup_job_dry_run_reports_and_production_needs_confirmation(dagster, environments) -> None:
    dev = environments["development"]
    dagster.session.client("logs").create_log_group(
        logGroupName="/ecs/credex-core-old-development", tags=dict(naming.common_tags(dev, "app"))
    )
    result = dagster(
        "cleanup_development", {"ops": {"development__cleanup": {"config": {"min_age_minutes": 0}}}}
    )
    assert result.success
    (output,) = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    metadata = output.event_specific_data.metadata
    assert metadata["dry_run"].value is True and metadata["orphans"].value == 1
    (row,) = metadata["resources"].value.records
    assert (
        row.data["id"] == "/ecs/credex-core-old-development" and "Environment=development" in row.data["tags"]
    )
    assert row.data["status"] == "would delete (dry run)" and row.data["age_days"] != ""
    assert _log_groups(dagster.session) == {"/ecs/credex-core-old-development"}

    refused = dagster(
        "cleanup_production", {"ops": {"production__cleanup": {"config": {"run_cleanup": True}}}}
    )
    assert not refused.success
    assert "confirm_environment set to 'production'" in step_failure(refused)


def test_maintenance_checks_report_key_ids_and_stale_policy(dagster, environments) -> None:
    dev = environments["development"]
    iam = dagster.session.client("iam")
    iam.create_user(UserName=naming.deployment_user(dev))
    key = iam.create_access_key(UserName=naming.deployment_user(dev))["AccessKey"]
    result = dagster("maintenance_checks")
    evaluations = {
        (e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()
    }
    rotation = evaluations[("development/deployment_user", "access_key_rotation")]
    assert rotation.passed and rotation.metadata["keys"].value[0]["key_id"] == key["AccessKeyId"]
    assert key["SecretAccessKey"] not in str(rotation.metadata)
    # The fixture roots use terraform_data, which no real root uses: the table has no row for it.
    covers = evaluations[("iam/deploy_policy", "covers_terraform_types")]
    assert not covers.passed and any(
        m.startswith("terraform_data ") for m in covers.metadata["missing"].value
    )
    stale = evaluations[("iam/deploy_policy", "policy_current")]
    assert not stale.passed and "terraform_data" in stale.metadata["problem"].value

    # Ninety-one days later the key is due, named by user and id, never by its secret.
    due = keys_due(key_ages(iam, naming.deployment_user(dev), now=datetime.now(UTC) + timedelta(days=91)), 90)
    assert [d.key_id for d in due] == [key["AccessKeyId"]]
    assert "credex-core-development-deployment: access key" in due[0].describe()
    assert key["SecretAccessKey"] not in due[0].describe()


def test_unlock_job_reports_a_free_state_and_refuses_an_unknown_component(dagster) -> None:
    """The lock paths themselves (fresh, held by a run, stale) are in test_state_lock.py, on a real lock."""
    config = {"component": "connectors", "reason": "stuck deploy"}
    result = dagster("unlock_development", {"ops": {"development__unlock": {"config": config}}})
    assert result.success and result.output_for_node("development__unlock") is False
    (output,) = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    metadata = output.event_specific_data.metadata
    assert metadata["reason"].value == "the state is not locked" and metadata["unlocked"].value is False
    bad = dagster(
        "unlock_development", {"ops": {"development__unlock": {"config": {**config, "component": "network"}}}}
    )
    assert not bad.success and "unknown component 'network'" in step_failure(bad)
