"""The AMI roll-out on a root protected like the real one: instances and data volumes with prevent_destroy.

Real Terraform on `tests/fixtures/terraform_protected/databases` (terraform_data stand-ins with
`prevent_destroy = true`, the instances with `triggers_replace = var.ami_id`), where a new AMI makes the
plan itself fail with "Instance cannot be destroyed". As in tests/test_neo4j_rollout.py (whose harness this
reuses), Terraform cannot create EC2 instances here (no AWS provider), so the tests create the data volumes
and the replaced `Neo4j-<Space>-<env>` instances in moto themselves for the snapshots and the health wait.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import hcl2
import pytest

from credex_orchestration.components.replace_override import OVERRIDE_FILE, NotAnInstance, render_override
from credex_orchestration.resources import TerraformResource

from . import test_neo4j_rollout as rollout
from .support.databases import data_volumes, neo4j_instance, our_snapshots, register_ami, state_ami
from .support.runs import latest_metadata, step_failure
from .support.terraform_roots import FIXTURE_ROOTS_DIR as FIXTURE_ROOTS

# The Dagster harness of tests/test_neo4j_rollout.py, here resolved against this module's `terraform`.
dagster, deployed, ec2, envs = rollout.dagster, rollout.deployed, rollout.ec2, rollout.envs

PROTECTED = Path(__file__).parent / "fixtures" / "terraform_protected" / "databases"
REAL_INSTANCES = Path(__file__).parents[1] / "terraform" / "databases" / "instances.tf"


def _digest(directory: Path) -> dict[str, str]:
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def terraform(tmp_path: Path) -> TerraformResource:
    """Fixture connectors and app, and the protected databases root (linked, so its files are the real ones)."""
    roots = tmp_path / "roots"
    roots.mkdir()
    for component in ("connectors", "app"):
        (roots / component).symlink_to(FIXTURE_ROOTS / component)
    (roots / "databases").symlink_to(PROTECTED)
    return TerraformResource(roots_dir=str(roots), work_dir=str(tmp_path / "work"))


def _ids(terraform, env) -> dict[str, str]:
    workspace = terraform.workspace(env, "databases")
    state = json.loads("\n".join(workspace.run("show", "-json", "-no-color", quiet=True).stdout))
    return {r["address"]: r["values"]["id"] for r in state["values"]["root_module"]["resources"]}


def test_a_new_ami_is_refused_clearly_not_with_a_raw_terraform_error(
    dagster, deployed, envs, terraform, ec2
) -> None:
    _, materialise_ami, deploy = dagster
    old, _new = deployed
    env = envs["development"]
    before = _ids(terraform, env)

    result = deploy(env)
    assert not result.success
    message = step_failure(result, "development__databases")
    assert "DestructivePlanRefused" in message or "would destroy or replace Neo4j data" in message
    assert "terraform_data.ledgerspace" in message and "terraform_data.searchspace" in message
    assert "data_volume" not in message  # only what Terraform refused to destroy is listed
    assert "allow_database_replacement: true" in message and "Nothing was applied" in message
    assert "Instance cannot be destroyed" not in message and "invalid configuration" not in message
    assert _ids(terraform, env) == before
    assert state_ami(terraform, env, "terraform_data.ledgerspace") == old
    assert our_snapshots(ec2) == []

    # Production: the refusal also names the confirmation.
    prod = envs["production"]
    p_old, p_new = register_ami(ec2, "neo4j-enterprise-old"), register_ami(ec2, "neo4j-enterprise-new")
    assert materialise_ami("enterprise", {"ami_id": p_old}).success
    assert deploy(prod, confirm_environment="production").success
    assert materialise_ami("enterprise", {"ami_id": p_new}).success
    refused = deploy(prod, confirm_environment="production")
    message = step_failure(refused, "production__databases")
    assert "allow_database_replacement: true and confirm_environment: production" in message
    assert state_ami(terraform, prod, "terraform_data.searchspace") == p_old


def test_allowed_replacement_lifts_prevent_destroy_for_one_instance_at_a_time(
    dagster, deployed, envs, terraform, ec2
) -> None:
    instance, _, deploy = dagster
    _old, new = deployed
    env = envs["development"]
    checked_in = _digest(PROTECTED)
    data_volumes(ec2, "development")
    neo4j_instance(ec2, new, "Neo4j-LedgerSpace-development")
    neo4j_instance(ec2, new, "Neo4j-SearchSpace-development")
    before = _ids(terraform, env)

    result = deploy(env, allow=True)
    assert result.success, step_failure(result)
    order = latest_metadata(instance, "development", "databases")["replacement_order"]
    assert [step["role"] for step in order] == ["LedgerSpace", "SearchSpace"]
    assert order[0]["addresses"] == [
        "terraform_data.ledgerspace",
        "terraform_data.ledgerspace_data_attachment",
    ]
    assert order[1]["addresses"] == [
        "terraform_data.searchspace",
        "terraform_data.searchspace_data_attachment",
    ]
    assert len(our_snapshots(ec2)) == 2

    after = _ids(terraform, env)
    for space in ("ledgerspace", "searchspace"):
        assert after[f"terraform_data.{space}"] != before[f"terraform_data.{space}"]  # replaced
        assert (
            after[f"terraform_data.{space}_data_attachment"]
            != before[f"terraform_data.{space}_data_attachment"]
        )
        assert after[f"terraform_data.{space}_data_volume"] == before[f"terraform_data.{space}_data_volume"]
        assert state_ami(terraform, env, f"terraform_data.{space}") == new

    assert _digest(PROTECTED) == checked_in  # prevent_destroy stays in the checked-in root, no file added
    assert not list(Path(terraform.work_path).rglob(OVERRIDE_FILE))  # the override did not outlive its apply

    again = deploy(env)  # no AMI change: a clean plan, nothing applied, no refusal
    assert again.success, step_failure(again)
    metadata = latest_metadata(instance, "development", "databases")
    assert metadata["applied"] is False and metadata["protected_changes"] == []
    assert _ids(terraform, env) == after


def _unquote(value):
    if isinstance(value, dict):
        return {key.strip('"'): _unquote(item) for key, item in value.items() if not key.startswith("__")}
    if isinstance(value, list):
        return [_unquote(item) for item in value]
    return value


def test_override_is_valid_hcl_naming_only_that_instance() -> None:
    parsed = _unquote(hcl2.loads(render_override("aws_instance.ledgerspace")))
    assert parsed == {
        "resource": [{"aws_instance": {"ledgerspace": {"lifecycle": [{"prevent_destroy": False}]}}}]
    }
    # The real root declares that instance (so the override merges into it) with prevent_destroy on.
    real = _unquote(hcl2.loads(REAL_INSTANCES.read_text()))
    instances = {
        name: body for block in real["resource"] for name, body in block.get("aws_instance", {}).items()
    }
    assert instances["ledgerspace"]["lifecycle"] == [{"prevent_destroy": True}]
    for address in (
        "aws_ebs_volume.ledgerspace_data",
        "terraform_data.ledgerspace_data_volume",
        "aws_volume_attachment.ledgerspace_data",
        "module.db.aws_instance.ledgerspace",
    ):
        with pytest.raises(NotAnInstance, match="never from a data volume"):
            render_override(address)


TINY = """terraform {
  backend "local" {}
}
variable "ami_id" { type = string }
resource "terraform_data" "ledgerspace" {
  triggers_replace = var.ami_id
  lifecycle {
    prevent_destroy = true
  }
}
resource "terraform_data" "ledgerspace_data_volume" {
  triggers_replace = var.ami_id
  lifecycle {
    prevent_destroy = true
  }
}
resource "terraform_data" "other" {
  input = var.ami_id
}
"""


def _tiny_workspace(tmp_path: Path):
    from credex_orchestration.lib.terraform import Backend, TerraformWorkspace

    root = tmp_path / "tiny"
    root.mkdir()
    (root / "main.tf").write_text(TINY)
    state = tmp_path / "state"
    backend = Backend("local", {"path": str(state / "terraform.tfstate"), "workspace_dir": str(state / "ws")})
    return TerraformWorkspace(root, "databases_development", tmp_path / "data", backend, tmp_path / "cache")


def test_engine_plan_targets_replace_and_run_scoped_copy(tmp_path: Path) -> None:
    from credex_orchestration.components.database_guard import is_data_volume, prevented_destroys
    from credex_orchestration.lib.terraform import TerraformError

    workspace = _tiny_workspace(tmp_path)
    workspace.apply(workspace.plan(tmp_path / "p0", {"ami_id": "ami-1"}))
    checked_in = _digest(workspace.root)

    with pytest.raises(TerraformError) as raised:
        workspace.plan(tmp_path / "p1", {"ami_id": "ami-2"})
    prevented = prevented_destroys(raised.value)
    assert prevented == ["terraform_data.ledgerspace", "terraform_data.ledgerspace_data_volume"]
    assert [a for a in prevented if is_data_volume(a)] == ["terraform_data.ledgerspace_data_volume"]

    # The override lifts prevent_destroy from the instance only: the volume still stops an untargeted plan.
    scoped = workspace.with_extra_files(
        {OVERRIDE_FILE: render_override("terraform_data.ledgerspace")}, tmp_path / "run"
    )
    assert scoped.root != workspace.root and scoped.data_dir != workspace.data_dir
    with pytest.raises(TerraformError) as still:
        scoped.plan(tmp_path / "p2", {"ami_id": "ami-2"})
    assert prevented_destroys(still.value) == ["terraform_data.ledgerspace_data_volume"]

    # Targeted with -replace: the instance alone, on the same state as the checked-in root.
    step = scoped.plan(
        tmp_path / "p3",
        {"ami_id": "ami-2"},
        targets=["terraform_data.ledgerspace"],
        replace=["terraform_data.ledgerspace"],
    )
    assert [(c.address, c.action) for c in step.changes] == [("terraform_data.ledgerspace", "replace")]
    scoped.apply(step)
    # The checked-in root's workspace sees the replaced instance in the shared state: nothing left to do.
    again = workspace.plan(tmp_path / "p4", {"ami_id": "ami-2"}, targets=["terraform_data.ledgerspace"])
    assert not again.has_changes
    assert _digest(workspace.root) == checked_in and not (workspace.root / OVERRIDE_FILE).exists()

    with pytest.raises(ValueError, match="plain"):
        workspace.with_extra_files({"../escape.tf": ""}, tmp_path / "run2")
