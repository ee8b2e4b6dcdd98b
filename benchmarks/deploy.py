"""Benchmarks 1, 2 and 6: a full deploy and a no-op redeploy through Dagster against the plain script.

Both sides are whole processes started the way they run for real: `dagster job execute` for the deploy job
(as the CLI launches it), `python -m benchmarks.direct` for the script. Each full-deploy repeat starts from
empty state (a fresh work dir), so every component is initialised, planned and applied; the no-op repeats
run on state that is already deployed, so no apply happens.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from credex_orchestration.environments import load_environments
from credex_orchestration.infrastructure.config import deploy_run_config

from .measure import figure, ok, ratio, run_process
from .world import DAGSTER, ENVIRONMENT, PYTHON, World, terraform_processes

GIT_SHA = "abc1234"
FULL_TARGET = 1.2


def dagster_deploy(world: World, env: dict[str, str], git_sha: str = GIT_SHA):
    environment = load_environments(world.environments_file)[ENVIRONMENT]
    config = world.run_config(f"deploy-{git_sha or 'keep'}", deploy_run_config(environment, git_sha=git_sha))
    argv = [
        DAGSTER,
        "job",
        "execute",
        "-m",
        "credex_orchestration.definitions",
        "-j",
        f"deploy_{ENVIRONMENT}",
    ]
    return run_process([*argv, "-c", str(config)], env)


def direct_deploy(env: dict[str, str], git_sha: str = GIT_SHA, plans_only: bool = False):
    argv = [PYTHON, "-m", "benchmarks.direct", ENVIRONMENT, "--git-sha", git_sha]
    return run_process(argv + (["--plans-only"] if plans_only else []), env)


def _commands(world: World, tf_log) -> dict[str, int]:
    return dict(Counter(process["command"] for process in terraform_processes(tf_log)))


def full(world: World, repeats: int) -> dict[str, Any]:
    """Benchmark 1 (and 6): fresh state each repeat; Dagster and the script alternate to share any drift.

    DAGSTER_HOME persists across repeats, as a deployment's instance does; one warm-up pair (not counted)
    creates its storage and warms the file cache for both sides.
    """
    dagster_deploy(world, world.env(world.fresh("work")))
    direct_deploy(world.env(world.fresh("work")))
    dagster_runs, direct_runs, commands = [], [], {}
    for index in range(repeats):
        tf_log = world.root / f"full-dagster-{index}.jsonl"
        env = world.env(world.fresh("work"), tf_log=tf_log)
        dagster_runs.append(dagster_deploy(world, env))
        commands["dagster"] = _commands(world, tf_log)
        tf_log = world.root / f"full-direct-{index}.jsonl"
        direct_runs.append(direct_deploy(world.env(world.fresh("work"), tf_log=tf_log)))
        commands["direct"] = _commands(world, tf_log)
    dagster = figure([run.wall_seconds for run in dagster_runs], "s")
    direct = figure([run.wall_seconds for run in direct_runs], "s")
    dagster_cpu = figure([run.cpu_seconds for run in dagster_runs], "cpu s")
    direct_cpu = figure([run.cpu_seconds for run in direct_runs], "cpu s")
    overhead = ratio(dagster, direct)
    return {
        "deploy_full": ok(
            {"dagster": dagster, "direct": direct, "dagster_cpu": dagster_cpu, "direct_cpu": direct_cpu},
            ratio=overhead,
            ratio_cpu=ratio(dagster_cpu, direct_cpu),
            target=FULL_TARGET,
            meets_target=overhead <= FULL_TARGET,
            terraform_processes=commands,
        ),
        "deploy_memory": ok(
            {
                "dagster_peak_rss": figure([run.max_rss_mb for run in dagster_runs], "MB", 1),
                "direct_peak_rss": figure([run.max_rss_mb for run in direct_runs], "MB", 1),
            },
            measured="ru_maxrss from wait4: the largest single process of the run's process tree",
        ),
    }


def noop(world: World, repeats: int) -> dict[str, Any]:
    """Benchmark 2: one deployed environment, then repeated deploys that change nothing, against the plans."""
    work, home = world.fresh("work"), world.root / "dagster-home"
    dagster_deploy(world, world.env(work, home))  # the deployment every repeat redeploys unchanged
    dagster_runs, direct_runs, plan_runs, commands = [], [], [], {}
    for index in range(repeats):
        tf_log = world.root / f"noop-dagster-{index}.jsonl"
        dagster_runs.append(dagster_deploy(world, world.env(work, home, tf_log), git_sha=""))
        commands["dagster"] = _commands(world, tf_log)
        tf_log = world.root / f"noop-direct-{index}.jsonl"
        direct_runs.append(direct_deploy(world.env(work, home, tf_log), git_sha=""))
        commands["direct"] = _commands(world, tf_log)
        tf_log = world.root / f"noop-plans-{index}.jsonl"
        plan_runs.append(direct_deploy(world.env(work, home, tf_log), git_sha="", plans_only=True))
        commands["plans_only"] = _commands(world, tf_log)
    dagster = figure([run.wall_seconds for run in dagster_runs], "s")
    direct = figure([run.wall_seconds for run in direct_runs], "s")
    plans = figure([run.wall_seconds for run in plan_runs], "s")
    cpu = {
        f"{name}_cpu": figure([run.cpu_seconds for run in runs], "cpu s")
        for name, runs in (("dagster", dagster_runs), ("direct", direct_runs), ("plans_only", plan_runs))
    }
    applies = commands["dagster"].get("apply", 0)
    return {
        "deploy_noop": ok(
            {"dagster": dagster, "direct": direct, "plans_only": plans, **cpu},
            ratio_to_plans=ratio(dagster, plans),
            ratio_to_direct=ratio(dagster, direct),
            ratio_cpu_to_plans=ratio(cpu["dagster_cpu"], cpu["plans_only_cpu"]),
            ratio_cpu_to_direct=ratio(cpu["dagster_cpu"], cpu["direct_cpu"]),
            applies=applies,
            inits=commands["dagster"].get("init", 0),
            terraform_processes=commands,
        )
    }
