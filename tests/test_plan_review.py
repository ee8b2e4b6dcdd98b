"""The plan a deployer reviews: a real plan of the real AWS provider against moto, shown before the apply.

Two deploys of development's connectors step on a small root of real resources (tests/support/aws_provider.py):
the first creates them, the second changes them (a replacement, in-place updates, a sensitive value). The
second materialisation's `plan` markdown is what is asserted, with its console links.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterEventType, DagsterInstance

from credex_orchestration.definitions import build_definitions
from credex_orchestration.deploy.config import deploy_run_config
from credex_orchestration.lib import plan_view
from credex_orchestration.lib.console_links import console_links, log_group_url
from credex_orchestration.lib.redact import MASK
from credex_orchestration.resources import AwsResource, TerraformResource

from .conftest import FIXTURE_ROOTS
from .support.aws_provider import PARAMETER_SECRETS, provider_cli_config, write_connectors_root
from .support.deploys import fixture_deploy_overrides
from .support.environments import local_environments
from .support.moto import MotoServer

CONNECTORS = AssetKey(["development", "connectors"])


def deploy_connectors(defs, environments, instance: DagsterInstance):
    result = defs.resolve_job_def("deploy_development").execute_in_process(
        run_config=deploy_run_config(environments["development"], ["connectors"]),
        instance=instance,
        asset_selection=[CONNECTORS],
    )
    assert result.success
    [materialization] = result.asset_materializations_for_node("development__connectors")
    logs = [
        record.event_log_entry.user_message
        for record in instance.get_records_for_run(result.run_id).records
        if record.event_log_entry.dagster_event is None
    ]
    return materialization.metadata, logs


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory):
    """Metadata and log lines of the second deploy (the changing one), and of the first."""
    tmp = tmp_path_factory.mktemp("plan-review")
    roots = tmp / "roots"
    shutil.copytree(FIXTURE_ROOTS, roots)
    shutil.rmtree(roots / "connectors")
    write_connectors_root(roots / "connectors", revision=1)
    environments = local_environments(tmp, fixture_deploy_overrides("development"))
    with MotoServer() as moto, pytest.MonkeyPatch.context() as patch:
        patch.setenv("TF_CLI_CONFIG_FILE", str(provider_cli_config(tmp / "cli")))
        patch.setenv("AWS_ENDPOINT_URL", moto.endpoint_url)
        terraform = TerraformResource(roots_dir=str(roots), work_dir=str(tmp / "work"))
        defs = build_definitions(environments, resources={"terraform": terraform, "aws": AwsResource()})
        instance = DagsterInstance.ephemeral()
        first = deploy_connectors(defs, environments, instance)
        write_connectors_root(roots / "connectors", revision=2)
        second = deploy_connectors(defs, environments, instance)
        yield first, second


def test_the_plan_shows_each_changed_attribute_and_why_a_resource_is_replaced(reviewed) -> None:
    _, (metadata, _) = reviewed
    markdown = metadata["plan"].value
    assert markdown.startswith("### development/connectors plan: 1 to replace, 2 to update")
    sg = markdown.split("`aws_security_group.alb`: replace")[1].split("####")[0]
    assert "**Why:** `description` cannot change in place." in sg
    assert (
        '| `description` **(forces replacement)** | `"ALB of credex-core"` | '
        '`"ALB of credex-core: HTTPS only, HTTP redirected"` |' in sg
    )
    assert (
        '| `ingress (element)` | *—* | `{"cidr_blocks": ["0.0.0.0/0"], "description": "HTTP, redirected to HTTPS", "from_port": 80, "protocol": "tcp", "to_port": 80}` |'
        in sg
    )
    assert "443" not in sg.split("ingress")[1].split("\n")[0]
    assert '| `id` | `"sg-' in sg and "*(known after apply)*" in sg
    ecr = markdown.split("`aws_ecr_repository.core`: update")[1].split("####")[0]
    assert '| `image_tag_mutability` | `"MUTABLE"` | `"IMMUTABLE"` |' in ecr
    assert "`aws_vpc.main`" not in markdown  # unchanged resources are left out


def test_sensitive_values_are_masked_in_the_metadata_and_the_log(reviewed) -> None:
    first, (metadata, logs) = reviewed
    markdown = metadata["plan"].value
    assert "| `value` | *(sensitive)* | *(sensitive)* |" in markdown
    everything = "\n".join([markdown, *logs, *first[1], str(first[0]), str(metadata)])
    for secret in PARAMETER_SECRETS.values():
        assert secret not in everything
    assert markdown in logs  # the same review is in the run log, before the apply's lines
    assert logs.index(markdown) < next(i for i, line in enumerate(logs) if "applied:" in line)


def test_console_links_are_url_metadata(reviewed) -> None:
    _, (metadata, _) = reviewed
    vpc = metadata["outputs"].value["vpc_id"]
    assert metadata["vpc_console"].value == (
        f"https://af-south-1.console.aws.amazon.com/vpcconsole/home?region=af-south-1#VpcDetails:VpcId={vpc}"
    )
    assert metadata["ecr_image_console"].value == (
        "https://af-south-1.console.aws.amazon.com/ecr/repositories/private/123456789012/"
        "credex-core-development?region=af-south-1"
    )
    assert metadata["alb_console"].value.startswith(
        "https://af-south-1.console.aws.amazon.com/ec2/home?region=af-south-1#LoadBalancer:loadBalancerArn="
        "arn:aws:elasticloadbalancing:af-south-1:123456789012:loadbalancer/app/credex-alb-development/"
    )
    assert type(metadata["vpc_console"]).__name__ == "UrlMetadataValue"


def test_a_plan_without_changes_adds_no_review(tmp_path, terraform, environments) -> None:
    defs = build_definitions(environments, resources={"terraform": terraform, "aws": AwsResource()})
    instance = DagsterInstance.ephemeral()
    job = defs.resolve_job_def("deploy_development")
    config = deploy_run_config(environments["development"], ["connectors"])
    job.execute_in_process(run_config=config, instance=instance, asset_selection=[CONNECTORS])
    again = job.execute_in_process(run_config=config, instance=instance, asset_selection=[CONNECTORS])
    [materialization] = again.asset_materializations_for_node("development__connectors")
    assert "plan" not in materialization.metadata and materialization.metadata["applied"].value is False
    assert instance.get_records_for_run(again.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records


# ----- the pure parts, on plan JSON in Terraform's format ---------------------------------------------------
def _change(actions, before, after, **extra):
    return {"address": "aws_x.y", "change": {"actions": actions, "before": before, "after": after, **extra}}


def test_the_redactor_masks_what_the_schema_does_not_mark() -> None:
    plan = {
        "resource_changes": [_change(["update"], {"tags": {"k": "old"}}, {"tags": {"k": "tok-abcdef123"}})]
    }
    markdown = plan_view.plan_markdown(plan, lambda text: text.replace("tok-abcdef123", MASK))
    assert "tok-abcdef123" not in markdown and MASK in markdown


def test_long_values_and_long_plans_are_cut_with_a_note() -> None:
    long = "x" * 1000 + "|`"
    plan = {"resource_changes": [_change(["update"], {"a": "short"}, {"a": long})]}
    markdown = plan_view.plan_markdown(plan)
    cell = markdown.split("| `a` |")[1]
    assert "x" * (plan_view.MAX_VALUE_CHARS - 2) in cell and "x" * plan_view.MAX_VALUE_CHARS not in cell
    assert "…" in cell
    many = {
        "resource_changes": [
            {**_change(["create"], None, {f"k{i}": "v" * 150 for i in range(30)}), "address": f"aws_x.r{n}"}
            for n in range(100)
        ]
    }
    capped = plan_view.plan_markdown(many)
    assert len(capped) < plan_view.MAX_CHARS + 3000
    assert "more changed resources not shown" in capped and "aws_x.r99" in capped


def test_sensitive_values_feed_the_redactor() -> None:
    plan = {
        "resource_changes": [
            _change(
                ["update"],
                {"value": "old-secret-1", "n": 1},
                {"value": "new-secret-2", "n": 1},
                before_sensitive={"value": True},
                after_sensitive={"value": True},
            )
        ]
    }
    assert plan_view.sensitive_values(plan) == ["old-secret-1", "new-secret-2"]
    markdown = plan_view.plan_markdown(plan)
    assert "secret" not in markdown and "*(sensitive)*" in markdown and "`n`" not in markdown


def test_links_need_their_inputs_and_encode_the_log_group() -> None:
    assert console_links("af-south-1", {}) == {}
    links = console_links(
        "af-south-1",
        {
            "cluster_name": "credex-cluster-development",
            "service_name": "credex-core-service-development",
            "task_definition_arn": "arn:aws:ecs:af-south-1:123456789012:task-definition/credex-core-development:7",
            "log_group_name": "/ecs/credex-core-development",
            "neo4j_ami_id": "ami-0123456789abcdef0",
            "ecr_repository_url": "123456789012.dkr.ecr.af-south-1.amazonaws.com/credex-core-development",
            "image_tag": "abc1234",
        },
        run_started_ms=1_764_000_000_000,
    )
    assert links["task_definition_console"].endswith(
        "/ecs/v2/task-definitions/credex-core-development/7/containers?region=af-south-1"
    )
    assert links["ecs_service_console"].endswith(
        "/ecs/v2/clusters/credex-cluster-development/services/credex-core-service-development/health"
        "?region=af-south-1"
    )
    assert links["log_group_console"] == log_group_url(
        "af-south-1", "/ecs/credex-core-development", 1_764_000_000_000
    )
    assert (
        "log-group/$252Fecs$252Fcredex-core-development/log-events$3Fstart$3D1764000000000"
        in (links["log_group_console"])
    )
    assert links["ecr_image_console"].endswith("?region=af-south-1&imageTagFilter=abc1234")
    assert links["ami_console"].endswith("#ImageDetails:imageId=ami-0123456789abcdef0")
    assert Path(links["ami_console"]).name  # a plain string URL
