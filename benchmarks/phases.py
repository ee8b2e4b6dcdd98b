"""Where a deploy run's time goes: the CLI's phases against the script's, on the same world and work.

`deploy_full` says how much longer a deploy through Dagster takes; this says where. The CLI runs through
`cli_phases.py` (Dagster's own entry point with a clock on its instance, code-location load, run creation
and run), the script reports when its imports and its work ended, and the run's event log gives the time
its steps took. Everything is relative to the moment the process was spawned.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from credex_orchestration.deploy.config import deploy_run_config
from credex_orchestration.environments import load_environments

from .cli_phases import MARK
from .deploy import JOB, direct_deploy, script_report
from .measure import ProcessRun, figure, ok, run_process
from .runs import step_intervals
from .world import ENVIRONMENT, GIT_SHA, PYTHON, World

DAGSTER_PHASES = (
    "start_and_cli_import",
    "instance",
    "code_location",
    "run_creation",
    "steps",
    "run_events",
    "exit",
)
SCRIPT_PHASES = ("start_and_imports", "work", "exit")


def _cli_phases(run: ProcessRun, home: Path) -> dict[str, float]:
    line = next(line for line in reversed(run.output.splitlines()) if line.startswith(MARK))
    report = json.loads(line[len(MARK) :])
    phases = {name: end - start for name, (start, end) in report["phases"].items()}
    steps = sum(end - start for start, end in step_intervals(home, JOB).values())
    ended = run.started + run.wall_seconds
    return {
        "start_and_cli_import": report["phases"]["cli_import"][1] - run.started,
        "instance": phases["instance"],
        "code_location": phases["code_location"],
        "run_creation": phases["run_creation"],
        "steps": steps,
        "run_events": phases["execution"] - steps,  # run and step events, outside the steps' own time
        "exit": ended - report["phases"]["execution"][1],
    }


def _script_phases(run: ProcessRun) -> dict[str, float]:
    report = script_report(run)
    return {
        "start_and_imports": report["imported"] - run.started,
        "work": report["worked"] - report["imported"],
        "exit": run.started + run.wall_seconds - report["worked"],
    }


def phases(world: World, repeats: int) -> dict[str, Any]:
    home = world.dagster_home("home-phases")
    environment = load_environments(world.environments_file)[ENVIRONMENT]
    config = world.run_config("phases", deploy_run_config(environment, git_sha=GIT_SHA))
    argv = [PYTHON, "-m", "benchmarks.cli_phases", "job", "execute", "-m", "credex_orchestration.definitions"]
    argv += ["-j", JOB, "-c", str(config)]
    run_process(argv, world.env(world.fresh("work"), home))  # warm-up: the instance's storage exists
    dagster: dict[str, list[float]] = {name: [] for name in DAGSTER_PHASES}
    script: dict[str, list[float]] = {name: [] for name in SCRIPT_PHASES}
    for _ in range(repeats):
        for name, value in _cli_phases(run_process(argv, world.env(world.fresh("work"), home)), home).items():
            dagster[name].append(value)
        for name, value in _script_phases(direct_deploy(world.env(world.fresh("work"), home))).items():
            script[name].append(value)
    figures = {f"dagster_{name}": figure(values, "s") for name, values in dagster.items()}
    figures.update({f"script_{name}": figure(values, "s") for name, values in script.items()})
    return {
        "deploy_phases": ok(
            figures,
            measured=(
                "dagster: spawn to CLI imported, DagsterInstance.get, code-location load, run creation "
                "(planned events), the steps' own time (STEP_START to STEP_SUCCESS), the run's other "
                "events, end of the run to process exit; script: spawn to imports done, work, exit"
            ),
        )
    }
