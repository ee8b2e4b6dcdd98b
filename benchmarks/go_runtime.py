"""Does the engine's Go runtime setting pay (lib/terraform.py GO_RUNTIME, decision 0190)?

The same no-op plan of development's connectors, in the deployed Dagster world, alternately with the
engine's setting and with Go's defaults (GOGC=100, no memory limit: what Terraform gets when nothing is
set), so both meet the same load. Each plan's CPU (Terraform and the provider it waited for), wall time and
largest resident set come from the probe. It pays when the setting cuts the plan's CPU; the memory it costs
is in the figures next to it.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from credex_orchestration.components import connectors
from credex_orchestration.deploy.step import open_workspace
from credex_orchestration.lib.terraform import GO_RUNTIME

from . import processes
from .measure import ProcessFailed, figure, ok, ratio
from .world import World, pointed_at

COMPONENT = "connectors"
GO_DEFAULTS = {"GOGC": "100", "GOMEMLIMIT": "off"}


def _plan(world: World, log_name: str, settings: dict[str, str] | None) -> dict[str, Any]:
    """One no-op plan; `settings` None: the engine's own Go runtime setting."""
    tf_log = world.root.parent / log_name
    saved = {key: os.environ.pop(key, None) for key in GO_RUNTIME}
    os.environ.update(settings or {})
    try:
        with pointed_at(world, tf_log):
            workspace = open_workspace(world.environment, COMPONENT, world.terraform, world.aws(), log=None)
            plan_path = world.terraform.plan_path(world.environment, COMPONENT, uuid.uuid4().hex)
            plan = workspace.plan(plan_path, connectors.variables(world.environment))
            plan_path.unlink(missing_ok=True)
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None)
            if value is not None:
                os.environ[key] = value
    if plan.has_changes:
        raise ProcessFailed(f"the no-op plan of {COMPONENT} has changes: nothing to compare")
    (record,) = [r for r in processes.records(tf_log) if r["command"] == "plan"]
    tf_log.unlink()
    return record


def compare(worlds: dict[str, World], repeats: int) -> dict[str, Any]:
    world = worlds["dagster"]
    runs: dict[str, list[dict[str, Any]]] = {"engine": [], "go_defaults": []}
    for index in range(max(repeats, 3)):
        runs["engine"].append(_plan(world, f"go-engine-{index}.jsonl", None))
        runs["go_defaults"].append(_plan(world, f"go-defaults-{index}.jsonl", GO_DEFAULTS))
    figures = {}
    for side, records in runs.items():
        figures[f"{side}_cpu"] = figure([r["cpu"] for r in records], "s")
        figures[f"{side}_wall"] = figure([r["end"] - r["start"] for r in records], "s")
        figures[f"{side}_max_rss"] = figure([r["max_rss_mib"] for r in records], "MiB", 0)
    cpu_ratio = ratio(figures["engine_cpu"], figures["go_defaults_cpu"])
    return {
        "go_runtime": ok(
            figures,
            ratio=cpu_ratio,
            target=1.0,
            meets_target=cpu_ratio < 1.0,
            setting=GO_RUNTIME,
            compared_with=GO_DEFAULTS,
            measured=f"a no-op plan of {world.environment.name}/{COMPONENT}, alternately with each setting: "
            "CPU of Terraform and its provider with the engine's setting over Go's defaults (it pays below 1)",
        )
    }
