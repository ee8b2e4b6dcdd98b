"""Figure 4: the nightly drift job over every environment and component, against its plans' own time.

`drift_checks` runs in this process on the world's instance (its named in-process executor and pools), as
the deploy figures run theirs, after development is deployed; the other environments hold no state, so they have
nothing to plan. The yardstick is the sum of the plans' wall times over the cores: what the plans cost when
nothing else runs and they share the machine perfectly.
"""

from __future__ import annotations

import os
import time
from typing import Any

from . import processes
from .measure import ProcessFailed, figure, ok
from .world import World, pointed_at

TARGET = 1.2


def nightly(worlds: dict[str, World], repeats: int) -> dict[str, Any]:
    world = worlds["dagster"]
    cores = os.cpu_count() or 1
    walls, sums, counts = [], [], {}
    for index in range(repeats):
        tf_log = world.root.parent / f"drift-{index}.jsonl"
        with pointed_at(world, tf_log):
            start = time.perf_counter()
            result = world.run("drift_checks")
            walls.append(time.perf_counter() - start)
        if not result.success:
            raise ProcessFailed("drift_checks failed")
        plans = processes.seconds(tf_log, "plan")
        if not plans:
            raise RuntimeError("the drift job ran no plan: development is not deployed, nothing was measured")
        sums.append(sum(plans))
        counts = processes.per_component(tf_log)
    wall = figure(walls, "s")
    yardstick = figure([total / cores for total in sums], "s")
    value = round(wall["median"] / yardstick["median"], 3)
    return {
        "drift_nightly": ok(
            {"drift_checks": wall, "plans_sum_over_cores": yardstick, "plans_sum": figure(sums, "s")},
            ratio=value,
            target=TARGET,
            meets_target=value <= TARGET,
            cores=cores,
            terraform_processes=counts,
            measured="drift_checks with execute_in_process on the world's instance",
        )
    }
