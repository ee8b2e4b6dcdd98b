"""One writer per environment from every entry point, on the production instance (PostgreSQL, the daemon's
queue, deploy/dagster.yaml's pools).

Started at once against development: a named deploy, a cleanup and the drift checks through the queue, a UI-style Materialize of `development/app` (`__ASSET_JOB`, no environment tag), and a `dagster job
execute` of the deploy that bypasses the queue. Every root gets a resource that takes 2 s to apply, so
writers that were not kept apart would overlap. The event log then says how many development writers ran at
any one moment. (`unlock_<env>` is in the same pool and carries the same run tag as cleanup: the test below
holds every writer of the code location to its environment's pool.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from dagster import DagsterRunStatus

from credex_orchestration import naming
from credex_orchestration.deploy.config import deploy_run_config
from credex_orchestration.environments import load_environments
from credex_orchestration.resources import TerraformResource

from .conftest import FIXTURE_ROOTS
from .support.deploys import fixture_deploy_overrides
from .support.entry_points import max_overlap, submit_runs, submit_selection, writer_intervals
from .support.environments import local_environments_file
from .support.instance import (
    PROJECT,
    fresh_database,
    instance_at,
    local_copy,
    postgres_available,
    wait_for_runs,
    write_dagster_home,
)
from .support.processes import stop_tree
from .support.webserver import Webserver

BIN = Path(sys.executable).parent
SLOW = """
resource "terraform_data" "fault_suite_slow" {
  triggers_replace = timestamp()
  provisioner "local-exec" {
    command = "sleep 1"
  }
}
"""
WRITERS = {
    f"development__{name}" for name in ("connectors", "databases", "app", "cleanup", "unlock", "drift_checks")
}


@pytest.fixture
def postgres_env():
    reason = postgres_available()
    if reason:
        pytest.fail(
            f"{reason}: start PostgreSQL on 127.0.0.1:5432 with trust auth (the fault suite needs it)"
        )
    with fresh_database("credex_faults") as env:
        yield env


def _slow_roots(roots: Path) -> None:
    for component in ("connectors", "databases", "app"):
        (roots / component / "slow.tf").write_text(SLOW)


@pytest.mark.slow
def test_one_writer_per_environment_whatever_starts_the_work(
    tmp_path: Path, postgres_env: dict[str, str], aws_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = write_dagster_home(tmp_path / "dagster_home", local_copy(tmp_path / "compute_logs"))
    environments_file = local_environments_file(tmp_path, fixture_deploy_overrides("development", "staging"))
    roots = tmp_path / "roots"
    shutil.copytree(FIXTURE_ROOTS, roots)
    process_env = {
        "DAGSTER_HOME": str(home),
        "CREDEX_ENVIRONMENTS_FILE": str(environments_file),
        "CREDEX_TERRAFORM_ROOTS": str(roots),
        "CREDEX_WORK_DIR": str(tmp_path / "work"),
        **postgres_env,
    }
    for name, value in process_env.items():
        monkeypatch.setenv(name, value)
    environments = load_environments(environments_file)
    dev = environments["development"]
    # Development exists first (the drift checks and the UI selection read its state).
    first_config = deploy_run_config(dev, git_sha="dede000")
    subprocess.run(
        [
            str(BIN / "dagster"),
            "job",
            "execute",
            "-m",
            "credex_orchestration.definitions",
            "-j",
            "deploy_development",
            "-c",
            str(_write(tmp_path / "first.yaml", first_config)),
        ],
        cwd=PROJECT,
        env=dict(os.environ),
        check=True,
        capture_output=True,
        timeout=300,
    )

    _slow_roots(roots)
    cli_config = _write(tmp_path / "cli.yaml", deploy_run_config(dev, git_sha="dede003"))
    app_op = naming.op_name("development", "app")
    with instance_at(home) as instance:
        before = {r.run_id for r in instance.get_runs()}
        with Webserver(
            PROJECT / "workspace.yaml", PROJECT, os.environ, tmp_path / "webserver.log"
        ) as webserver:
            run_ids = submit_runs(
                webserver,
                [
                    ("deploy_development", deploy_run_config(dev, git_sha="dede001")),
                    ("cleanup_development", {}),
                    ("drift_checks", {}),
                ],
            )
            run_ids.append(
                submit_selection(
                    webserver,
                    [naming.component_key("development", "app")],
                    {"ops": {app_op: {"config": {"git_sha": "dede002"}}}},
                )
            )
        daemon_log = (tmp_path / "daemon.log").open("w")
        daemon = subprocess.Popen(
            [str(BIN / "dagster-daemon"), "run", "-w", str(PROJECT / "workspace.yaml")],
            cwd=PROJECT,
            env=dict(os.environ),
            stdout=daemon_log,
            stderr=subprocess.STDOUT,
        )
        cli = subprocess.Popen(
            [
                str(BIN / "dagster"),
                "job",
                "execute",
                "-m",
                "credex_orchestration.definitions",
                "-j",
                "deploy_development",
                "-c",
                str(cli_config),
            ],
            cwd=PROJECT,
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            records = wait_for_runs(
                instance, run_ids, timeout=420, daemon=daemon, log=tmp_path / "daemon.log"
            )
            cli_output, _ = cli.communicate(timeout=300)
        finally:
            stop_tree(cli)
            stop_tree(daemon)
            daemon_log.close()
        assert cli.returncode == 0, cli_output[-3000:]
        cli_runs = [
            r.run_id for r in instance.get_runs() if r.run_id not in before and r.run_id not in run_ids
        ]
        assert len(cli_runs) == 1, cli_runs
        statuses = {r.dagster_run.job_name: r.dagster_run.status for r in records}
        failed = {job: status for job, status in statuses.items() if status != DagsterRunStatus.SUCCESS}
        assert not failed, (failed, (tmp_path / "daemon.log").read_text()[-3000:])

        intervals = writer_intervals(instance, [*run_ids, *cli_runs], WRITERS)
        writers = max_overlap(intervals)
        origin = intervals[0][0] if intervals else 0
        for start, end, run, step in intervals:
            print(f"  {start - origin:6.1f}-{end - origin:6.1f} s  {step:32} {run[:8]}")
        started = {run for _, _, run, _ in intervals}
        print(
            f"\nfault-suite figure: max development writers at once = {writers} over {len(intervals)} writer "
            f"steps of {len(started)} runs"
        )
        # Every entry point wrote (each run has writer steps), and the runs were really concurrent: the whole
        # took less than the writers one after another would if they had not waited for each other...
        assert started == {*run_ids, *cli_runs}, started
        assert writers == 1, intervals
    # ...and what ran last is what the state says: nothing half-applied in between.
    terraform = TerraformResource(roots_dir=str(roots), work_dir=str(tmp_path / "work"))
    assert terraform.workspace(dev, "app").outputs()["image_tag"].value in {"dede001", "dede002", "dede003"}


def _write(path: Path, config: dict) -> Path:
    path.write_text(yaml.safe_dump(config))
    return path


def test_every_writer_of_an_environment_holds_its_pool(tmp_path: Path) -> None:
    """Every op, asset and check step that writes in an environment is in that environment's pool."""
    from credex_orchestration.definitions import build_definitions

    environments = load_environments(local_environments_file(tmp_path))
    defs = build_definitions(environments)
    pools: dict[str, str | None] = {}
    jobs = ["__ASSET_JOB", "drift_checks"]
    for name in environments:
        jobs += [naming.cleanup_job(name), naming.unlock_job(name), naming.backup_job(name)]
    for job_name in jobs:
        for op in defs.resolve_job_def(job_name).graph.iterate_op_defs():
            pools[op.name] = op.pool
    for name in environments:
        steps = (
            "connectors",
            "databases",
            "app",
            "cleanup",
            "unlock",
            "drift_checks",
            "database_backups",
        )
        writers = [f"{name}__{step}" for step in steps]
        assert {w: pools.get(w) for w in writers} == dict.fromkeys(writers, naming.environment_pool(name))
