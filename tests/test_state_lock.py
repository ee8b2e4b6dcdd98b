"""Force-unlock against a real lock held by a waiting `terraform apply`, and a real Dagster instance.

The state lives in the real environments' backend (S3 with its native lock file) on moto: the local
backend's lock is an OS file lock that only its holder process can release, so it cannot be force-unlocked.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRun, DagsterRunStatus

from credex_orchestration.environments import load_environments
from credex_orchestration.lib.terraform import TerraformWorkspace
from credex_orchestration.operations.state_lock import UnlockRefused, force_unlock_if_stale, read_lock
from credex_orchestration.resources import TerraformResource

FIXTURE = Path(__file__).parent / "fixtures" / "terraform_import" / "connectors" / "main.tf"
VARIABLES = {"environment": "development"}


@pytest.fixture
def workspace(tmp_path: Path, aws_endpoint: str) -> TerraformWorkspace:
    import boto3

    boto3.client("s3", region_name="af-south-1").create_bucket(
        Bucket="credex-terraform-state-development",
        CreateBucketConfiguration={"LocationConstraint": "af-south-1"},
    )
    root = tmp_path / "roots" / "connectors"
    root.mkdir(parents=True)
    (root / "main.tf").write_text(FIXTURE.read_text().replace('backend "local"', 'backend "s3"'))
    terraform = TerraformResource(
        roots_dir=str(tmp_path / "roots"), work_dir=str(tmp_path / "w"), s3_endpoint_url=aws_endpoint
    )
    workspace = terraform.workspace(load_environments()["development"], "connectors")
    workspace.lock_timeout_seconds = 1
    workspace.apply(workspace.plan(tmp_path / "p.tfplan", VARIABLES))
    return workspace


@pytest.fixture
def held_lock(workspace: TerraformWorkspace):
    """A real `terraform apply` waiting at its approval prompt holds the state lock."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "credex_orchestration.lib.terraform_cli",
            f"-chdir={workspace.root}",
            "apply",
            "-no-color",
            "-var=environment=held",
        ],
        env=workspace._environment() | {"TF_INPUT": "1"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = ""
    try:
        while "Enter a value" not in output:
            chunk = holder.stdout.read(1)
            assert chunk, f"holder exited early: {output}"
            output += chunk
        yield holder
    finally:
        holder.communicate(timeout=30)  # stdin closed: the prompt ends, Terraform releases; pipes closed


def _unlock(workspace, instance, **kwargs):
    return force_unlock_if_stale(
        workspace, instance, "development", reason="deploy crashed", unlocked_by="test", **kwargs
    )


def test_a_free_state_has_nothing_to_unlock(workspace) -> None:
    record = _unlock(workspace, DagsterInstance.ephemeral(), min_age=timedelta(0))
    assert not record.unlocked and record.lock is None


def test_a_fresh_lock_is_refused(workspace, held_lock) -> None:
    with pytest.raises(UnlockRefused, match="younger than the 60 min threshold") as error:
        _unlock(workspace, DagsterInstance.ephemeral(), min_age=timedelta(minutes=60))
    assert "held by" in str(error.value) and "@" in str(error.value)
    assert read_lock(workspace) is not None  # still held


def test_a_lock_while_a_run_of_the_environment_runs_is_refused(workspace, held_lock) -> None:
    instance = DagsterInstance.ephemeral()
    run = DagsterRun(
        job_name="deploy_development",
        tags={"credex/environment": "development"},
        status=DagsterRunStatus.STARTED,
    )
    instance.add_run(run)
    instance.add_run(
        DagsterRun(
            job_name="deploy_staging", tags={"credex/environment": "staging"}, status=DagsterRunStatus.STARTED
        )
    )
    later = datetime.now(UTC) + timedelta(hours=3)
    with pytest.raises(UnlockRefused) as error:
        _unlock(workspace, instance, min_age=timedelta(minutes=60), now=later)
    assert run.run_id in str(error.value) and "nothing unlocked" in str(error.value)
    assert read_lock(workspace) is not None


def test_an_old_lock_no_run_holds_is_unlocked_and_recorded(workspace, held_lock) -> None:
    instance = DagsterInstance.ephemeral()
    instance.add_run(
        DagsterRun(
            job_name="deploy_development",
            tags={"credex/environment": "development"},
            status=DagsterRunStatus.FAILURE,
        )
    )
    lock = read_lock(workspace)
    with pytest.raises(UnlockRefused, match="not the lock"):
        _unlock(workspace, instance, min_age=timedelta(0), expected_lock_id="someone-else")
    record = _unlock(
        workspace, instance, min_age=timedelta(minutes=60), now=datetime.now(UTC) + timedelta(hours=2)
    )
    assert record.unlocked and record.lock == lock and record.age_minutes >= 119
    assert record.reason == "deploy crashed" and record.unlocked_by == "test"
    assert read_lock(workspace) is None
