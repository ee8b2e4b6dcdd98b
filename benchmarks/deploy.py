"""Figures 1-3: a deploy of development through Dagster against the plain script, on the real roots.

Both sides run in this process: `deploy_<env>` with `execute_in_process` on the world's DagsterInstance
(the named job's own in-process executor, its pools, checks and plan review), and `direct.deploy` (the same
engine calls in sequence). Each first deploy starts from an empty account: Dagster deploys into one world,
the script into another, so both create everything (the provider's waiters make that about four minutes).
The no-op repeats then redeploy both worlds unchanged, alternating, and plan each component of Dagster's
world alone: the slowest of those plans is the no-op target's yardstick.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from credex_orchestration.environments import COMPONENTS, PROJECT_ROOT
from credex_orchestration.verification.results import FINDINGS

from . import processes, timeline
from .direct import deploy as direct_deploy
from .direct import plans_side_by_side
from .measure import ProcessFailed, cpu_seconds, figure, ok, ratio
from .world import ENVIRONMENT, World, pointed_at

DEPLOY_TARGET = 1.05
NOOP_TARGET = 1.2
JOB = f"deploy_{ENVIRONMENT}"
CHECKS = 14  # connectors 3, databases 3, app 8


def _evaluations(result) -> dict[str, bool]:
    found = {}
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            found[f"{evaluation.asset_key.path[-1]}:{evaluation.check_name}"] = evaluation.passed
    return found


def _applied(result) -> dict[str, bool]:
    found = {}
    for event in result.all_events:
        if event.event_type_value == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            found[f"{ENVIRONMENT}/{materialization.asset_key.path[-1]}"] = bool(
                materialization.metadata["plan_has_changes"].value
            )
    return found


def _expect_passed(verdicts: dict[str, bool], side: str) -> None:
    """A measured deploy must have run every check and passed it: a failing world measures nothing.

    Findings are the exception: the stand-in speaks credex-core's real contract, whose data routes answer
    without a token, so `app:api_authentication` reports that (a warning) on both sides, as it would live.
    """
    failed = sorted(
        name for name, passed in verdicts.items() if not passed and name.split(":")[-1] not in FINDINGS
    )
    if len(verdicts) != CHECKS or failed:
        raise ProcessFailed(
            f"{side} deploy evaluated {len(verdicts)} checks (expected {CHECKS}); failed: {failed}"
        )


def dagster_deploy(world: World, tf_log: Path, run_config: dict | None = None) -> tuple[float, Any]:
    with pointed_at(world, tf_log):
        start = time.perf_counter()
        result = world.run(JOB, run_config)
        wall = time.perf_counter() - start
    if not result.success:
        raise ProcessFailed(f"{JOB} failed in {world.root.name}")
    _expect_passed(_evaluations(result), "dagster")
    return wall, result


def script_deploy(world: World, tf_log: Path, plans_only: bool = False) -> float:
    with pointed_at(world, tf_log):
        start = time.perf_counter()
        verdicts = direct_deploy(world.environment, world.terraform, world.aws(), "", plans_only)
        wall = time.perf_counter() - start
    if not plans_only:
        _expect_passed({name: outcome.passed for name, outcome in verdicts.items()}, "script")
    return wall


def _processes(tf_log: Path, changed: dict[str, bool]) -> dict[str, Any]:
    counts = processes.per_component(tf_log)
    return {
        "counts": counts,
        "expected": processes.expected(changed),
        "excess": processes.excess(counts, changed),
        "terraform_busy_seconds": round(processes.busy_seconds(processes.records(tf_log)), 3),
        "max_rss_mib": processes.max_rss_mib(tf_log),  # the memory the Go runtime setting costs (0190)
    }


def script_process(world: World, tf_log: Path) -> subprocess.Popen:
    """The script as its own process in `world` (started, not waited for): its output goes to a file."""
    output = (world.root / "direct-output.log").open("w")
    command = [sys.executable, "-m", "benchmarks.direct", ENVIRONMENT]
    return subprocess.Popen(
        command, env=world.process_env(tf_log), cwd=PROJECT_ROOT, stdout=output, stderr=output
    )


def script_seconds(world: World, process: subprocess.Popen) -> float:
    """The script's own work (after its imports, as the Dagster side has its imports done), every check passed."""
    returncode = process.wait()
    output = (world.root / "direct-output.log").read_text()
    if returncode != 0:
        raise ProcessFailed(f"the script's deploy exited {returncode}: {output[-3000:]}")
    report = next(json.loads(line) for line in reversed(output.splitlines()) if line.startswith('{"checks"'))
    _expect_passed(report["checks"], "script")
    return report["worked"] - report["imported"]


def first(worlds: dict[str, World], repeats: int) -> dict[str, Any]:
    """Figure 1 (and 2 for a deploy that changes everything): one first deploy per side, empty accounts.

    The two run at the same time (the script as its own process, in its own world), so both meet the same
    load on a shared machine; each side's wall time is its own work, imports excluded.
    """
    logs = worlds["dagster"].root.parent
    script = script_process(worlds["direct"], logs / "first-direct.jsonl")
    try:
        dagster_wall, result = dagster_deploy(worlds["dagster"], logs / "first-dagster.jsonl")
    finally:
        direct_wall = script_seconds(worlds["direct"], script)
    changed = _applied(result)
    dagster, direct = figure([dagster_wall], "s"), figure([direct_wall], "s")
    body = ok(
        {"dagster": dagster, "direct": direct},
        ratio=ratio(dagster, direct),
        target=DEPLOY_TARGET,
        overhead_seconds=round(dagster_wall - direct_wall, 3),
        checks=CHECKS,
        terraform_processes={
            "dagster": _processes(logs / "first-dagster.jsonl", changed),
            "direct": _processes(logs / "first-direct.jsonl", changed),
        },
        note="one first deploy per side at the same time, each from an empty account (the script in its own "
        "process and world); --repeats applies to the no-op figure",
    )
    body["meets_target"] = body["ratio"] <= DEPLOY_TARGET
    extra = body["terraform_processes"]["dagster"]["excess"]
    return {"deploy_first": body, "terraform_processes_first": _process_figure(body, extra)}


def _process_figure(deploy_body: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Figure 2: Terraform processes per component against the least the deploy needs."""
    counts = deploy_body["terraform_processes"]["dagster"]["counts"]
    return ok(
        {
            name: figure([sum(v for k, v in commands.items() if k not in processes.SETUP)], "processes", 0)
            for name, commands in counts.items()
        },
        counts=counts,
        expected=deploy_body["terraform_processes"]["dagster"]["expected"],
        excess=extra,
        target="unchanged: 1 plan; changed: plan, show (the plan review) and apply; init and workspace "
        "select on a data dir's first use only",
        meets_target=not extra,
    )


def side_by_side(world: World, tf_log: Path) -> float:
    """The three plans of `world` started together by the script: the no-op deploy's floor here."""
    with pointed_at(world, tf_log):
        start = time.perf_counter()
        changed = plans_side_by_side(world.environment, world.terraform)
        wall = time.perf_counter() - start
    if any(changed.values()):
        raise ProcessFailed(f"a no-op plan side by side has changes: {changed}")
    return wall


def noop(worlds: dict[str, World], repeats: int) -> dict[str, Any]:
    """Figures 1-3 for a deploy that changes nothing: Dagster, the script, each plan alone, the plans at once.

    The issue's yardstick is the slowest plan alone: with a core per plan, plans side by side take no longer
    than it. With fewer cores than plans, CPU-bound plans (the provider against moto on loopback) share them,
    so the deploy is also held to the three plans started together by the script, and the CPU floor (the
    plans' CPU over the cores) says which of the two the machine allows (decision 0190).
    """
    logs = worlds["dagster"].root.parent
    runs: dict[str, list[float]] = {
        "dagster": [], "direct": [], "slowest_plan": [], "plans_side_by_side": [], "plans_cpu_over_cores": [],
        "dagster_cpu_over_cores": [],
        "dagster_terraform_busy": [], "direct_terraform_busy": [],
    }  # fmt: skip
    plan_seconds: dict[str, list[float]] = {}
    steps: dict[str, list[float]] = {}  # where the Dagster run's wall time went (benchmarks/timeline.py)
    body_processes: dict[str, Any] = {}
    cores = os.cpu_count() or 1
    for index in range(repeats):
        tf_log = logs / f"noop-dagster-{index}.jsonl"
        before = cpu_seconds(worlds["dagster"].moto.pid)
        wall, result = dagster_deploy(worlds["dagster"], tf_log)
        runs["dagster"].append(wall)
        runs["dagster_cpu_over_cores"].append((cpu_seconds(worlds["dagster"].moto.pid) - before) / cores)
        for name, seconds in timeline.spans(worlds["dagster"].instance, result.run_id).items():
            steps.setdefault(name, []).append(seconds)
        changed = _applied(result)
        if any(changed.values()):
            raise ProcessFailed(f"a no-op redeploy planned changes: {changed}")
        body_processes["dagster"] = _processes(tf_log, changed)
        tf_log = logs / f"noop-direct-{index}.jsonl"
        runs["direct"].append(script_deploy(worlds["direct"], tf_log))
        body_processes["direct"] = _processes(tf_log, changed)
        for side in ("dagster", "direct"):
            runs[f"{side}_terraform_busy"].append(body_processes[side]["terraform_busy_seconds"])
        tf_log = logs / f"noop-plans-{index}.jsonl"
        script_deploy(worlds["dagster"], tf_log, plans_only=True)
        plans = [record for record in processes.records(tf_log) if record["command"] == "plan"]
        for record in plans:
            plan_seconds.setdefault(record["component"], []).append(record["end"] - record["start"])
        runs["slowest_plan"].append(max(record["end"] - record["start"] for record in plans))
        runs["plans_cpu_over_cores"].append(sum(record["cpu"] for record in plans) / cores)
        runs["plans_side_by_side"].append(
            side_by_side(worlds["dagster"], logs / f"noop-together-{index}.jsonl")
        )
    figures = {name: figure(values, "s") for name, values in runs.items()}
    figures.update(
        {f"plan_{name}": figure(values, "s") for name, values in plan_seconds.items() if name in COMPONENTS}
    )
    dagster = figures["dagster"]
    noop_ratio = ratio(dagster, figures["slowest_plan"])
    together = ratio(dagster, figures["plans_side_by_side"])
    extra = body_processes["dagster"]["excess"]
    return {
        "deploy_noop": ok(
            figures,
            ratio=noop_ratio,
            target=NOOP_TARGET,
            meets_target=noop_ratio <= NOOP_TARGET,
            ratio_to_side_by_side=together,
            target_to_side_by_side=NOOP_TARGET,
            meets_target_to_side_by_side=together <= NOOP_TARGET,
            ratio_to_direct=ratio(dagster, figures["direct"]),
            target_to_direct=DEPLOY_TARGET,
            meets_target_to_direct=ratio(dagster, figures["direct"]) <= DEPLOY_TARGET,
            dagster_run={name: figure(values, "s") for name, values in steps.items()},
            cores=cores,
            plans=len(plan_seconds),
            checks=CHECKS,
            terraform_processes=body_processes,
            measured="wall time of the whole no-op deploy (plans and the 14 checks) over the slowest plan alone "
            "(ratio) and over the three plans started together by the script (ratio_to_side_by_side)",
        ),
        "terraform_processes_noop": ok(
            {
                name: figure(
                    [sum(v for k, v in commands.items() if k not in processes.SETUP)], "processes", 0
                )
                for name, commands in body_processes["dagster"]["counts"].items()
            },
            counts=body_processes["dagster"]["counts"],
            expected=body_processes["dagster"]["expected"],
            excess=extra,
            target="unchanged: 1 plan; init on a cache miss only; outputs without a process",
            meets_target=not extra,
        ),
    }
