"""How many Terraform processes a deploy starts: a plan per component, an apply per changed one, nothing else.

Counts the real engine's commands (the engine still runs every command it is asked to); no timing here, the
time saved is in benchmarks/ (docs/decisions/0071-terraform-processes.md).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from dagster import DagsterInstance

from credex_orchestration.definitions import build_definitions
from credex_orchestration.deploy.config import deploy_run_config
from credex_orchestration.lib.terraform import Backend, TerraformWorkspace
from credex_orchestration.resources import AwsResource

from .support.environments import local_environments
from .support.runs import latest_metadata

SENSITIVE_ROOT = """
terraform {
  backend "local" {}
}
resource "terraform_data" "thing" { input = "plain-value" }
output "plain" { value = terraform_data.thing.output }
output "token" {
  value     = "s3cr3t-${terraform_data.thing.output}"
  sensitive = true
}
"""


@pytest.fixture
def commands(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """Every Terraform command the engine runs, counted by subcommand."""
    seen: Counter = Counter()
    run = TerraformWorkspace.run

    def counting(self, *args, **kwargs):
        seen[args[0]] += 1
        return run(self, *args, **kwargs)

    monkeypatch.setattr(TerraformWorkspace, "run", counting)
    return seen


def test_apply_reports_outputs_without_sensitive_values(tmp_path: Path, commands: Counter) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text(SENSITIVE_ROOT)
    state = tmp_path / "state"
    workspace = TerraformWorkspace(
        root=root,
        workspace="connectors_development",
        data_dir=tmp_path / "data",
        backend=Backend(
            "local", {"path": str(state / "terraform.tfstate"), "workspace_dir": str(state / "ws")}
        ),
        plugin_cache_dir=tmp_path / "plugins",
    )
    applied = workspace.apply(workspace.plan(tmp_path / "plan.tfplan"))
    assert commands["output"] == 0
    assert applied.outputs is not None
    assert applied.outputs["plain"].value == "plain-value" and not applied.outputs["plain"].sensitive
    assert applied.outputs["token"].sensitive and applied.outputs["token"].value is None
    from_state = workspace.outputs()
    assert {name: o.sensitive for name, o in from_state.items()} == {"plain": False, "token": True}
    assert from_state["plain"] == applied.outputs["plain"]


def test_a_deploy_reads_outputs_only_where_the_run_has_not_seen_them(
    tmp_path: Path, terraform, commands: Counter
) -> None:
    environments = local_environments(
        tmp_path, {"development": {"neo4j.ami_id": "ami-0123456789abcdef0", "verification.enabled": False}}
    )
    env = environments["development"]
    defs = build_definitions(environments, resources={"terraform": terraform, "aws": AwsResource()})
    job = defs.resolve_job_def("deploy_development")
    instance = DagsterInstance.ephemeral()

    assert job.execute_in_process(deploy_run_config(env, git_sha="abc1234"), instance=instance).success
    # Upstream outputs (databases <- connectors; app <- connectors, databases, itself) are read from state
    # without a Terraform process; after each apply the outputs come from the apply itself.
    assert commands["apply"] == 3 and commands["output"] == 0
    assert latest_metadata(instance, "development", "app")["outputs"]["image_tag"] == "abc1234"
    assert latest_metadata(instance, "development", "connectors")["outputs"]["vpc_id"].startswith("vpc-")
    deployed = {
        c: latest_metadata(instance, "development", c)["outputs"] for c in ("connectors", "databases", "app")
    }

    commands.clear()
    assert job.execute_in_process(deploy_run_config(env), instance=instance).success
    # Nothing changed: one plan per component and no other Terraform process (no init, no apply, outputs
    # read from state).
    assert dict(commands) == {"plan": 3}
    for component in ("connectors", "databases", "app"):
        metadata = latest_metadata(instance, "development", component)
        assert metadata["applied"] is False
        assert metadata["outputs"] == deployed[component]  # the same outputs, however they were obtained
        assert metadata["outputs"] == {
            name: output.value
            for name, output in terraform.workspace(env, component).outputs().items()
            if not output.sensitive
        }


def test_a_redeploy_plans_later_components_ahead_only_while_nothing_changes(
    tmp_path: Path, terraform, commands: Counter
) -> None:
    """Plans made ahead (deploy/plan_ahead.py) stand in for a step's plan only when nothing moved."""
    overrides = {"neo4j.ami_id": "ami-0123456789abcdef0", "verification.enabled": False}
    environments = local_environments(tmp_path, {"development": overrides})
    env = environments["development"]
    instance = DagsterInstance.ephemeral()

    def deploy(environments, git_sha: str = "") -> dict[str, dict]:
        defs = build_definitions(environments, resources={"terraform": terraform, "aws": AwsResource()})
        job = defs.resolve_job_def("deploy_development")
        assert job.execute_in_process(deploy_run_config(env, git_sha=git_sha), instance=instance).success
        return {c: latest_metadata(instance, "development", c) for c in ("connectors", "databases", "app")}

    first = deploy(environments, "abc1234")
    assert [first[c]["planned_ahead"] for c in first] == [False, False, False]  # nothing in state to plan on
    commands.clear()
    again = deploy(environments)
    assert {c: (m["planned_ahead"], m["applied"]) for c, m in again.items()} == {
        "connectors": (False, False),
        "databases": (True, False),
        "app": (True, False),
    }
    assert dict(commands) == {"plan": 3}
    assert not list((terraform.work_path / "plans-ahead").rglob("*.tfplan"))  # made, read, deleted
    # The connectors change: the databases and the app plan again after its apply, as without plans ahead.
    changed = local_environments(tmp_path, {"development": {**overrides, "network.vpc_cidr": "10.9.0.0/16"}})
    commands.clear()
    moved = deploy(changed)
    assert moved["connectors"]["applied"] is True
    assert moved["databases"]["planned_ahead"] is False and moved["app"]["planned_ahead"] is False
    assert commands["plan"] == 3 + 2  # the two made ahead, then discarded
