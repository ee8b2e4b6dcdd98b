"""How the code location's runs execute: the executor of every job."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterEventType

from credex_orchestration.definitions import build_definitions
from credex_orchestration.environments import load_environments

from .support.environments import local_environments_file
from .support.instance import instance_at
from .support.terraform_roots import FIXTURE_ROOTS_DIR as FIXTURE_ROOTS


def test_every_named_job_runs_in_one_process_and_ad_hoc_selections_side_by_side() -> None:
    """Named jobs run their steps in one process; an ad-hoc selection gets Dagster's default executor,
    which runs independent steps (an AMI build beside connectors) in processes of their own (decision 0090)."""
    defs = build_definitions(load_environments())
    executors = {job.name: job.executor_def for job in defs.resolve_all_job_defs()}
    named = {name: executor.name for name, executor in executors.items() if not name.startswith("__")}
    assert len(named) >= 20 and set(named.values()) == {"in_process"}, named
    # What the UI's Materialize or `dagster asset materialize` builds for a selection of assets.
    ad_hoc = defs.resolve_implicit_job_def_def_for_assets(
        [AssetKey(["neo4j_ami", "community"]), AssetKey(["development", "connectors"])]
    )
    assert ad_hoc is not None and ad_hoc.executor_def.name == "multi_or_in_process_executor"


@pytest.mark.slow
def test_an_ad_hoc_selection_runs_its_independent_steps_in_processes_of_their_own(tmp_path) -> None:
    """`dagster asset materialize` on two environments' connectors: the code location's default executor."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    environments = local_environments_file(
        tmp_path, {name: {"verification.enabled": False} for name in ("development", "staging")}
    )
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "CREDEX_ENVIRONMENTS_FILE": str(environments),
        "CREDEX_TERRAFORM_ROOTS": str(FIXTURE_ROOTS),
        "CREDEX_WORK_DIR": str(tmp_path / "work"),
    }
    command = [str(Path(sys.executable).with_name("dagster")), "asset", "materialize", "-m"]
    command += ["credex_orchestration.definitions", "--select", "development/connectors,staging/connectors"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with instance_at(home) as instance:
        run = instance.get_runs(limit=1)[0]
        pids = {
            record.dagster_event.step_key or "run": record.dagster_event.pid
            for record in instance.all_logs(run.run_id)
            if record.dagster_event is not None
            and record.dagster_event.event_type in (DagsterEventType.RUN_START, DagsterEventType.STEP_START)
        }
    assert run.job_name == "__ASSET_JOB" and {"development__connectors", "staging__connectors"} <= set(pids)
    # Each step ran in a process forked for it, neither of them the CLI's own.
    steps = {pids["development__connectors"], pids["staging__connectors"]}
    assert len(steps) == 2 and pids["run"] not in steps
