"""Benchmarks 1, 2 and 6: a full deploy and a no-op redeploy through Dagster against the plain script.

Both sides are whole processes started the way they run for real: `dagster job execute` for the deploy job
(as the CLI launches it), `python -m benchmarks.direct` for the script. Each full-deploy repeat starts from
empty state (a fresh work dir), so every component is initialised, planned and applied; the no-op repeats
run on state that is already deployed, so no apply happens.

The target figure is the issue's: three components and their checks (`deploy_full`). `deploy_components`
repeats it with development's checks not built, which leaves Terraform as the only work: the harshest
ratio, since the tiny fixture roots make every fixed cost large.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from credex_orchestration.deploy.config import deploy_run_config
from credex_orchestration.environments import load_environments
from credex_orchestration.verification.results import FINDINGS

from .measure import ProcessFailed, ProcessRun, figure, ok, ratio, run_process
from .runs import check_verdicts
from .world import DAGSTER, ENVIRONMENT, GIT_SHA, PYTHON, World, terraform_processes

FULL_TARGET = 1.2
JOB = f"deploy_{ENVIRONMENT}"
CHECKS = 14  # connectors 3, databases 3, app 8


def dagster_deploy(world: World, env: dict[str, str], git_sha: str = GIT_SHA) -> ProcessRun:
    environment = load_environments(env["CREDEX_ENVIRONMENTS_FILE"])[ENVIRONMENT]
    config = world.run_config(f"deploy-{git_sha or 'keep'}", deploy_run_config(environment, git_sha=git_sha))
    argv = [DAGSTER, "job", "execute", "-m", "credex_orchestration.definitions", "-j", JOB]
    run = run_process([*argv, "-c", str(config)], env)
    verified = environment.verification.enabled
    _expect_passed(check_verdicts(Path(env["DAGSTER_HOME"]), JOB), CHECKS if verified else 0, "dagster")
    return run


def direct_deploy(env: dict[str, str], git_sha: str = GIT_SHA, plans_only: bool = False) -> ProcessRun:
    argv = [PYTHON, "-m", "benchmarks.direct", ENVIRONMENT, "--git-sha", git_sha]
    run = run_process(argv + (["--plans-only"] if plans_only else []), env)
    environment = load_environments(env["CREDEX_ENVIRONMENTS_FILE"])[ENVIRONMENT]
    if environment.verification.enabled and not plans_only:
        _expect_passed(script_report(run)["checks"], CHECKS, "script")
    return run


def script_report(run: ProcessRun) -> dict[str, Any]:
    """The script's last line: every check's verdict, and when its imports and its work ended."""
    return next(
        json.loads(line) for line in reversed(run.output.splitlines()) if line.startswith('{"checks"')
    )


def _expect_passed(verdicts: dict[str, bool], count: int, side: str) -> None:
    """A measured deploy must have run every check and passed it: a failing world measures nothing.

    Findings are the exception: the stand-in speaks credex-core's real contract, whose data routes answer
    without a token, so `app:api_authentication` reports that (a warning) on both sides, as it would live.
    """
    failed = sorted(
        name for name, passed in verdicts.items() if not passed and name.split(":")[-1] not in FINDINGS
    )
    if len(verdicts) != count or failed:
        raise ProcessFailed(
            f"{side} deploy evaluated {len(verdicts)} checks (expected {count}); failed: {failed}"
        )


def _commands(tf_log: Path) -> dict[str, int]:
    return dict(Counter(process["command"] for process in terraform_processes(tf_log)))


def _compare(world: World, repeats: int, verified: bool, label: str) -> tuple[dict[str, Any], list, list]:
    """Fresh state each repeat; Dagster and the script alternate so both share any drift in the machine.

    DAGSTER_HOME persists across repeats, as a deployment's instance does; one warm-up pair (not counted)
    creates its storage and warms the file cache for both sides.
    """
    home = world.dagster_home(f"home-{label}")

    def env(tf_log: Path | None = None) -> dict[str, str]:
        return world.env(world.fresh("work"), home, tf_log, verified=verified)

    dagster_deploy(world, env())
    direct_deploy(env())
    dagster_runs, direct_runs, commands = [], [], {}
    for index in range(repeats):
        tf_log = world.root / f"{label}-dagster-{index}.jsonl"
        dagster_runs.append(dagster_deploy(world, env(tf_log)))
        commands["dagster"] = _commands(tf_log)
        tf_log = world.root / f"{label}-direct-{index}.jsonl"
        direct_runs.append(direct_deploy(env(tf_log)))
        commands["direct"] = _commands(tf_log)
    dagster = figure([run.wall_seconds for run in dagster_runs], "s")
    direct = figure([run.wall_seconds for run in direct_runs], "s")
    dagster_cpu = figure([run.cpu_seconds for run in dagster_runs], "cpu s")
    direct_cpu = figure([run.cpu_seconds for run in direct_runs], "cpu s")
    overhead = ratio(dagster, direct)
    body = ok(
        {"dagster": dagster, "direct": direct, "dagster_cpu": dagster_cpu, "direct_cpu": direct_cpu},
        ratio=overhead,
        ratio_cpu=ratio(dagster_cpu, direct_cpu),
        overhead_seconds=round(dagster["median"] - direct["median"], 3),
        checks=CHECKS if verified else 0,
        terraform_processes=commands,
    )
    return body, dagster_runs, direct_runs


def full(world: World, repeats: int) -> dict[str, Any]:
    """Benchmark 1 (and 6): three components and their checks; then the components alone."""
    body, dagster_runs, direct_runs = _compare(world, repeats, verified=True, label="full")
    body.update(target=FULL_TARGET, meets_target=body["ratio"] <= FULL_TARGET)
    # The GitHub break-glass deploy (deploy.yml) starts from a new DAGSTER_HOME every time.
    fresh = [
        dagster_deploy(world, world.env(world.fresh("work"), world.dagster_home(f"home-fresh-{index}")))
        for index in range(repeats)
    ]
    body["figures"]["dagster_new_instance"] = figure([run.wall_seconds for run in fresh], "s")
    body["ratio_new_instance"] = ratio(body["figures"]["dagster_new_instance"], body["figures"]["direct"])
    components, _, _ = _compare(world, repeats, verified=False, label="components")
    return {
        "deploy_full": body,
        "deploy_components": components,
        "deploy_memory": ok(
            {
                "dagster_peak_rss": figure([run.max_rss_mb for run in dagster_runs], "MB", 1),
                "direct_peak_rss": figure([run.max_rss_mb for run in direct_runs], "MB", 1),
            },
            measured="ru_maxrss from wait4: the largest single process of the run's process tree",
        ),
    }


def noop(world: World, repeats: int) -> dict[str, Any]:
    """Benchmark 2: one deployed environment, then repeated deploys that change nothing, against the plans.

    The redeploys still verify (every deploy runs its checks); `plans_only` is the Terraform plans alone,
    the least a redeploy can do to find out that nothing changed.
    """
    work, home = world.fresh("work"), world.dagster_home("home-noop")
    dagster_deploy(world, world.env(work, home))  # the deployment every repeat redeploys unchanged
    dagster_runs, direct_runs, plan_runs, commands = [], [], [], {}
    for index in range(repeats):
        tf_log = world.root / f"noop-dagster-{index}.jsonl"
        dagster_runs.append(dagster_deploy(world, world.env(work, home, tf_log), git_sha=""))
        commands["dagster"] = _commands(tf_log)
        tf_log = world.root / f"noop-direct-{index}.jsonl"
        direct_runs.append(direct_deploy(world.env(work, home, tf_log), git_sha=""))
        commands["direct"] = _commands(tf_log)
        tf_log = world.root / f"noop-plans-{index}.jsonl"
        plan_runs.append(direct_deploy(world.env(work, home, tf_log), git_sha="", plans_only=True))
        commands["plans_only"] = _commands(tf_log)
    dagster = figure([run.wall_seconds for run in dagster_runs], "s")
    direct = figure([run.wall_seconds for run in direct_runs], "s")
    plans = figure([run.wall_seconds for run in plan_runs], "s")
    cpu = {
        f"{name}_cpu": figure([run.cpu_seconds for run in runs], "cpu s")
        for name, runs in (("dagster", dagster_runs), ("direct", direct_runs), ("plans_only", plan_runs))
    }
    return {
        "deploy_noop": ok(
            {"dagster": dagster, "direct": direct, "plans_only": plans, **cpu},
            ratio_to_plans=ratio(dagster, plans),
            ratio_to_direct=ratio(dagster, direct),
            ratio_cpu_to_plans=ratio(cpu["dagster_cpu"], cpu["plans_only_cpu"]),
            ratio_cpu_to_direct=ratio(cpu["dagster_cpu"], cpu["direct_cpu"]),
            applies=commands["dagster"].get("apply", 0),
            inits=commands["dagster"].get("init", 0),
            terraform_processes=commands,
        )
    }
