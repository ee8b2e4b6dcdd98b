"""The production instance (deploy/dagster.yaml): its run queue on real PostgreSQL, its AWS parts on moto.

The queue test starts `dagster-daemon run` on a copy of the production file whose ECS launcher and S3 compute
logs are swapped for local ones (tests/support/instance.py), submits 5 staging and 2 development deploys at
once, and reads from the run records that staging ran one at a time while development ran alongside.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from dagster import DagsterRunStatus, RunsFilter

from credex_orchestration.deploy.config import deploy_run_config
from credex_orchestration.environments import load_environments
from credex_orchestration.resources import TerraformResource

from .support.deploys import fixture_deploy_overrides
from .support.entry_points import submit_runs
from .support.environments import local_environments_file
from .support.instance import (
    PROJECT,
    database_exists,
    fresh_database,
    instance_at,
    local_copy,
    postgres_available,
    production_config,
    wait_for_runs,
    write_dagster_home,
)
from .support.processes import stop_tree
from .support.terraform_roots import FIXTURE_ROOTS_DIR as FIXTURE_ROOTS
from .support.webserver import Webserver

BIN = Path(sys.executable).parent


@pytest.fixture
def postgres_env():
    """Connection variables of a fresh database, dropped after the test."""
    reason = postgres_available()
    if reason:
        pytest.skip(reason)
    with fresh_database() as env:
        yield env
    assert not database_exists(env["DAGSTER_PG_DB"]), "the test database was not dropped"


def test_production_file_is_what_the_issue_asks_for() -> None:
    config = production_config()
    assert "postgres" in config["storage"]
    db = config["storage"]["postgres"]["postgres_db"]
    connection = {name: value for name, value in db.items() if name != "scheme"}
    assert all(isinstance(value, dict) and set(value) == {"env"} for value in connection.values()), db
    coordinator = config["run_coordinator"]
    assert coordinator["class"] == "QueuedRunCoordinator"
    assert {
        "key": "credex/environment",
        "value": {"applyLimitPerUniqueValue": True},
        "limit": 1,
    } in config["concurrency"]["runs"]["tag_concurrency_limits"]
    # One writer per environment from every entry point: one slot per pool, claimed per step.
    assert config["concurrency"]["pools"]["default_limit"] == 1
    assert config["concurrency"]["pools"]["granularity"] == "op"
    assert config["run_monitoring"]["free_slots_after_run_end_seconds"] > 0
    assert (config["run_launcher"]["module"], config["run_launcher"]["class"]) == (
        "dagster_aws.ecs",
        "EcsRunLauncher",
    )
    assert config["compute_logs"]["class"] == "S3ComputeLogManager"
    assert config["run_retries"]["enabled"] is False
    assert config["run_monitoring"]["max_resume_run_attempts"] == 0


def test_production_launcher_and_compute_logs_load_against_aws(
    tmp_path: Path, aws_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ECS launcher and S3 compute log manager, built from the file as the daemon would build them."""
    ecs = boto3.client("ecs", region_name="af-south-1")
    ecs.register_task_definition(
        family="credex-orchestration-run",
        containerDefinitions=[{"name": "run", "image": "credex-orchestration:abc1234", "memory": 1024}],
    )
    boto3.client("s3", region_name="af-south-1").create_bucket(
        Bucket="credex-dagster-compute-logs",
        CreateBucketConfiguration={"LocationConstraint": "af-south-1"},
    )
    for name, value in {
        "DAGSTER_PG_HOST": "db.internal",
        "DAGSTER_PG_PORT": "5432",
        "DAGSTER_PG_DB": "dagster",
        "DAGSTER_PG_USERNAME": "dagster",
        "DAGSTER_PG_PASSWORD": "not-used-here",
        "DAGSTER_RUN_TASK_DEFINITION": "credex-orchestration-run",
        "DAGSTER_COMPUTE_LOGS_BUCKET": "credex-dagster-compute-logs",
    }.items():
        monkeypatch.setenv(name, value)
    # The file's launcher and compute log sections as written; its PostgreSQL storage (db.internal) is left
    # out so the instance opens here (storage is the queue test's part, below).
    aws_parts = {key: production_config()[key] for key in ("run_launcher", "compute_logs")}
    home = write_dagster_home(tmp_path / "home", aws_parts)
    with instance_at(home) as instance:
        launcher = instance.run_launcher
        logs = instance.compute_log_manager
        assert launcher.task_definition.endswith(":task-definition/credex-orchestration-run:1")
        assert launcher.container_name == "run" and launcher.secrets_tags == []
        with logs.capture_logs(["run-1", "compute_logs", "staging__app"]):
            print("staging/app plan: 1 to change", flush=True)
    s3 = boto3.client("s3", region_name="af-south-1")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="credex-dagster-compute-logs")["Contents"]]
    assert "compute-logs/storage/run-1/compute_logs/staging__app.out" in keys, keys
    body = s3.get_object(
        Bucket="credex-dagster-compute-logs", Key="compute-logs/storage/run-1/compute_logs/staging__app.out"
    )
    assert b"staging/app plan: 1 to change" in body["Body"].read()

    monkeypatch.setenv("DAGSTER_RUN_TASK_DEFINITION", "no-such-task-definition")
    missing = pytest.raises(Exception, match="no-such-task-definition|Unable to describe task definition")
    with instance_at(home) as instance, missing:
        instance.run_launcher  # noqa: B018  (built on first use, as the daemon builds it)


@pytest.mark.slow
def test_queue_runs_one_deploy_per_environment_at_a_time(
    tmp_path: Path, postgres_env: dict[str, str], aws_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = write_dagster_home(tmp_path / "dagster_home", local_copy(tmp_path / "compute_logs"))
    environments_file = local_environments_file(tmp_path, fixture_deploy_overrides("development", "staging"))
    process_env = {
        "DAGSTER_HOME": str(home),
        "CREDEX_ENVIRONMENTS_FILE": str(environments_file),
        "CREDEX_TERRAFORM_ROOTS": str(FIXTURE_ROOTS),
        "CREDEX_WORK_DIR": str(tmp_path / "work"),
        **postgres_env,
    }
    for name, value in process_env.items():
        monkeypatch.setenv(name, value)  # the code server that builds the runs inherits these
    environments = load_environments(environments_file)
    requests = [
        ("deploy_staging", deploy_run_config(environments["staging"], git_sha=f"5a9e00{i}")) for i in range(5)
    ] + [
        ("deploy_development", deploy_run_config(environments["development"], git_sha=f"dede00{i}"))
        for i in range(2)
    ]

    with instance_at(home) as instance:
        with Webserver(
            PROJECT / "workspace.yaml", PROJECT, os.environ, tmp_path / "webserver.log"
        ) as webserver:
            run_ids = submit_runs(webserver, requests)
        queued = instance.get_runs(RunsFilter(run_ids=run_ids))
        assert {run.status for run in queued} == {DagsterRunStatus.QUEUED}  # all seven waiting at once

        daemon_log = (tmp_path / "daemon.log").open("w")
        daemon = subprocess.Popen(
            [str(BIN / "dagster-daemon"), "run", "-w", str(PROJECT / "workspace.yaml")],
            cwd=PROJECT,
            env=dict(os.environ),
            stdout=daemon_log,
            stderr=subprocess.STDOUT,
        )
        try:
            records = wait_for_runs(
                instance, run_ids, timeout=300, daemon=daemon, log=tmp_path / "daemon.log"
            )
        finally:
            stop_tree(daemon)
            daemon_log.close()

    by_job: dict[str, list] = {"deploy_staging": [], "deploy_development": []}
    for record in records:
        assert record.dagster_run.status == DagsterRunStatus.SUCCESS, (
            record.dagster_run.run_id,
            record.dagster_run.status,
        )
        assert record.start_time and record.end_time and record.end_time > record.start_time
        by_job[record.dagster_run.job_name].append((record.start_time, record.end_time))
    staging = sorted(by_job["deploy_staging"])
    development = sorted(by_job["deploy_development"])
    assert len(staging) == 5 and len(development) == 2

    for earlier, later in zip(staging, staging[1:], strict=False):
        assert later[0] >= earlier[1], f"staging runs overlapped: {earlier} and {later}"
    for earlier, later in zip(development, development[1:], strict=False):
        assert later[0] >= earlier[1], f"development runs overlapped: {earlier} and {later}"
    alongside = [
        (dev, stage) for dev in development for stage in staging if dev[0] < stage[1] and stage[0] < dev[1]
    ]
    assert alongside, f"no development run overlapped a staging run: {development} vs {staging}"
    # The runs really deployed, first in first out: the last staging run's image is what staging's state holds.
    terraform = TerraformResource(roots_dir=str(FIXTURE_ROOTS), work_dir=str(tmp_path / "work"))
    assert terraform.workspace(environments["staging"], "app").outputs()["image_tag"].value == "5a9e004"
    assert terraform.workspace(environments["development"], "app").outputs()["image_tag"].value == "dede001"
