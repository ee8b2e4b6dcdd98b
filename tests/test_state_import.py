"""The import mechanism through real Terraform on a terraform_data fixture root (local backend)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from credex_orchestration.deploy.state_import import ImportRefused, ImportTarget, import_into_state
from credex_orchestration.lib.terraform import Backend, TerraformWorkspace

ROOTS = Path(__file__).parent / "fixtures" / "terraform_import"
VARIABLES = {"environment": "development"}


def _digest(root: Path) -> str:
    return hashlib.sha256(
        b"".join(p.name.encode() + p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())
    ).hexdigest()


@pytest.fixture
def workspace(tmp_path: Path) -> TerraformWorkspace:
    state = tmp_path / "state"
    return TerraformWorkspace(
        root=ROOTS / "connectors",
        workspace="connectors_development",
        data_dir=tmp_path / "data",
        backend=Backend(
            "local", {"path": str(state / "terraform.tfstate"), "workspace_dir": str(state / "ws")}
        ),
        plugin_cache_dir=tmp_path / "plugins",
        lock_timeout_seconds=2,
    )


def test_import_blocks_bring_resources_into_state_without_touching_the_root(workspace, tmp_path) -> None:
    before = _digest(ROOTS)
    targets = [
        ImportTarget("terraform_data.vpc", "vpc-0abc"),
        ImportTarget("terraform_data.subnet[0]", "subnet-0aaa"),
        ImportTarget("terraform_data.subnet[1]", "subnet-0bbb"),
    ]
    result = import_into_state(workspace, targets, tmp_path / "run-1", VARIABLES)
    assert sorted(workspace.state_list()) == [
        "terraform_data.subnet[0]",
        "terraform_data.subnet[1]",
        "terraform_data.vpc",
    ]
    assert result.plan is not None and result.plan.imports == 3
    assert sorted(result.updated) == sorted(t.address for t in targets)
    assert _digest(ROOTS) == before and not list(ROOTS.rglob("credex_imports.tf"))
    # The ids are the imported ones, and the next plan of the real root only creates the rest.
    shown = workspace.run("show", "-json").stdout
    assert "vpc-0abc" in "\n".join(shown) and "subnet-0bbb" in "\n".join(shown)
    plan = workspace.plan(tmp_path / "after.tfplan", VARIABLES)
    assert plan.addresses("create") == ["terraform_data.repository"]
    assert not plan.destroyed


def test_an_import_that_would_replace_is_refused_and_imports_nothing(workspace, tmp_path) -> None:
    targets = [
        ImportTarget("terraform_data.vpc", "vpc-0abc"),
        ImportTarget("terraform_data.repository", "repo"),
    ]
    with pytest.raises(ImportRefused) as error:
        import_into_state(workspace, targets, tmp_path / "run-1", VARIABLES)
    assert "replace: terraform_data.repository" in str(error.value)
    assert "nothing imported" in str(error.value)
    assert workspace.state_list() == []


def test_unknown_addresses_are_refused_before_terraform_runs(workspace, tmp_path) -> None:
    targets = [ImportTarget("aws_vpc.main", "vpc-0abc"), ImportTarget("terraform_data.vpc", " ")]
    with pytest.raises(ImportRefused) as error:
        import_into_state(workspace, targets, tmp_path / "run-1", VARIABLES)
    message = str(error.value)
    assert "aws_vpc.main: no resource block aws_vpc.main" in message
    assert "terraform_data.vpc: empty import id" in message
    assert not (tmp_path / "run-1").exists() and not (tmp_path / "data").exists()
