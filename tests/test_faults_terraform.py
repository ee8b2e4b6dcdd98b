"""Faults around one Terraform command, for real: the S3 backend (moto behind a fault proxy) refusing the state
write mid-apply, the worker killed with SIGKILL mid-apply, and a held lock. Each asserts nothing was lost and
that the message names the way out."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import boto3
import pytest

from credex_orchestration.environments import load_environments
from credex_orchestration.lib.terraform import StateLockedError, StateNotSavedError
from credex_orchestration.resources import TerraformResource

from .support.fault_proxy import FaultProxy
from .support.processes import descendants

BUCKET = "credex-terraform-state-development"
# A resource whose creation takes a few seconds (a local-exec provisioner): the fault lands mid-apply.
SLOW_ROOT = """
terraform {
  backend "s3" {}
}
variable "value" { type = string }
variable "seconds" {
  type    = number
  default = 3
}
resource "terraform_data" "thing" {
  input = var.value
  provisioner "local-exec" {
    command = "sleep ${var.seconds}"
  }
}
output "value" { value = terraform_data.thing.output }
"""


@pytest.fixture
def backend(aws_endpoint: str, tmp_path: Path):
    """The development environment's real S3 backend settings, on moto behind a fault proxy."""
    boto3.client("s3", region_name="af-south-1").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "af-south-1"}
    )
    root = tmp_path / "roots" / "connectors"
    root.mkdir(parents=True)
    (root / "main.tf").write_text(SLOW_ROOT)
    with FaultProxy(aws_endpoint) as proxy:
        terraform = TerraformResource(
            roots_dir=str(tmp_path / "roots"),
            work_dir=str(tmp_path / "work"),
            s3_endpoint_url=proxy.endpoint_url,
        )
        yield load_environments()["development"], terraform, proxy


def _keys() -> list[str]:
    listing = boto3.client("s3", region_name="af-south-1").list_objects_v2(Bucket=BUCKET)
    return [item["Key"] for item in listing.get("Contents", [])]


def _state(key: str = "env:/connectors_development/terraform.tfstate") -> dict:
    body = boto3.client("s3", region_name="af-south-1").get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return json.loads(body)


def test_a_backend_that_refuses_the_state_write_mid_apply_is_its_own_error(backend, tmp_path: Path) -> None:
    environment, terraform, proxy = backend
    workspace = terraform.workspace(environment, "connectors")
    plan = workspace.plan(tmp_path / "p.tfplan", {"value": "created-mid-outage"})
    proxy.refuse_state_writes = True  # the backend is gone for writes from here on
    with pytest.raises(StateNotSavedError) as raised:
        workspace.apply(plan)
    proxy.refuse_state_writes = False
    message = str(raised.value)
    assert proxy.counts["refused_state_writes"] >= 1
    assert "could not save the state" in message and "state lock" not in message.split("Recover")[0]
    assert "terraform state push" in message and "unlock_development" in message
    kept = raised.value.errored_state
    assert kept and kept.startswith(f"s3://{BUCKET}/env:/connectors_development/errored-"), kept
    assert kept in message
    key = kept.removeprefix(f"s3://{BUCKET}/")
    errored = _state(key)
    assert [r["type"] for r in errored["resources"]] == ["terraform_data"]  # what the apply created
    assert not list(workspace.root.glob("errored*")) and not list(workspace.data_dir.glob("errored*"))

    # The way out the message names: push the kept state, and the next plan has nothing left to do.
    local = tmp_path / "errored.tfstate"
    boto3.client("s3", region_name="af-south-1").download_file(BUCKET, key, str(local))
    workspace.run("state", "push", str(local))
    assert _state()["resources"][0]["instances"][0]["attributes"]["input"]["value"] == "created-mid-outage"
    assert not workspace.plan(tmp_path / "again.tfplan", {"value": "created-mid-outage"}).has_changes


WORKER = """
import sys
from pathlib import Path
from credex_orchestration.environments import load_environments
from credex_orchestration.resources import TerraformResource

terraform = TerraformResource(roots_dir=sys.argv[1], work_dir=sys.argv[2], s3_endpoint_url=sys.argv[3])
workspace = terraform.workspace(load_environments()["development"], "connectors", log=print)
plan = workspace.plan(Path(sys.argv[2]) / "w.tfplan", {"value": "killed", "seconds": 60})
print("APPLYING", flush=True)
workspace.apply(plan)
"""


def _terraform_children(pid: int) -> list[int]:
    found = []
    for child in descendants(pid):
        try:
            if b"terraform_cli" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(child)
        except OSError:
            continue
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_killed_worker_takes_its_terraform_with_it_and_the_lock_is_released(
    backend, tmp_path: Path
) -> None:
    environment, terraform, proxy = backend
    worker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(WORKER),
            terraform.roots_dir,
            terraform.work_dir,
            proxy.endpoint_url,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ),
    )
    try:
        for line in worker.stdout:
            if "APPLYING" in line:
                break
        deadline = time.monotonic() + 30
        children: list[int] = []
        while time.monotonic() < deadline and not any(k.endswith(".tflock") for k in _keys()):
            children = _terraform_children(worker.pid) or children
            time.sleep(0.2)
        children = _terraform_children(worker.pid) or children
        assert children, "the worker's terraform apply did not start"
        assert any(k.endswith(".tflock") for k in _keys()), "the apply never took the lock"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(_alive(pid) for pid in children):
            time.sleep(0.2)
        assert not any(_alive(pid) for pid in children), "Terraform outlived its killed worker"
    finally:
        if worker.poll() is None:
            worker.kill()
    # Terraform stopped on SIGTERM: it released the lock on its way out; the next command is not blocked.
    assert not any(k.endswith(".tflock") for k in _keys()), _keys()
    workspace = terraform.workspace(environment, "connectors")
    workspace.lock_timeout_seconds = 1
    workspace.plan(tmp_path / "after.tfplan", {"value": "next", "seconds": 0})


def test_a_held_lock_names_its_holder_and_the_unlock_job(backend, tmp_path: Path) -> None:
    environment, terraform, proxy = backend
    holder = terraform.workspace(environment, "connectors")
    plan = holder.plan(tmp_path / "hold.tfplan", {"value": "holding", "seconds": 8})
    import threading

    applying = threading.Thread(target=holder.apply, args=(plan,))
    applying.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(k.endswith(".tflock") for k in _keys()):
            time.sleep(0.2)
        blocked = terraform.workspace(environment, "connectors")
        blocked.lock_timeout_seconds = 1
        before = _keys()
        with pytest.raises(StateLockedError) as raised:
            blocked.plan(tmp_path / "blocked.tfplan", {"value": "other", "seconds": 0})
        message = str(raised.value)
        lock = raised.value.lock
        assert lock is not None and lock.operation == "OperationTypeApply"
        assert lock.lock_id in message and lock.who in message
        assert "unlock_development" in message and f"expected_lock_id: {lock.lock_id}" in message
        assert _keys() == before  # the refused command changed nothing in the backend
    finally:
        applying.join(timeout=60)
    assert _state()["resources"][0]["instances"][0]["attributes"]["input"]["value"] == "holding"
