"""How many Terraform processes a deploy starts: outputs are not read again when the run already has them.

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
    # Reads of upstream state before planning: databases <- connectors; app <- connectors, databases, itself.
    # After each apply the outputs come from the apply itself.
    assert commands["apply"] == 3 and commands["output"] == 4
    assert latest_metadata(instance, "development", "app")["outputs"]["image_tag"] == "abc1234"
    assert latest_metadata(instance, "development", "connectors")["outputs"]["vpc_id"].startswith("vpc-")
    deployed = {
        c: latest_metadata(instance, "development", c)["outputs"] for c in ("connectors", "databases", "app")
    }

    commands.clear()
    assert job.execute_in_process(deploy_run_config(env), instance=instance).success
    # Nothing changed: no init, no apply; connectors and databases read their outputs once, the app reuses
    # what it read before planning.
    assert commands["init"] == 0 and commands["apply"] == 0
    assert commands["output"] == 4 + 2
    for component in ("connectors", "databases", "app"):
        metadata = latest_metadata(instance, "development", component)
        assert metadata["applied"] is False
        assert metadata["outputs"] == deployed[component]  # the same outputs, however they were obtained
        assert metadata["outputs"] == {
            name: output.value
            for name, output in terraform.workspace(env, component).outputs().items()
            if not output.sensitive
        }
