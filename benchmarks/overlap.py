"""Benchmark 3: independent steps overlap in time under a multiprocess executor; shown from the event log.

Each run is a whole `dagster job execute` process on fresh state; step intervals come from the STEP_START and
STEP_SUCCESS events in the run's event log (DAGSTER_HOME), so the overlap is what Dagster recorded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dagster import DagsterEventType, DagsterInstance, RunsFilter
from dagster._core.instance.ref import InstanceRef

from .measure import figure, ok, run_process
from .overlap_location import JOBS, SELECTIONS
from .world import AMI, DAGSTER, World

RUN_CONFIG = {"ops": {"neo4j_ami__community": {"config": {"ami_id": AMI}}}}


def step_intervals(home: Path, job: str) -> dict[str, tuple[float, float]]:
    """(start, end) epoch seconds per step of the latest run of `job`."""
    with DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        run = instance.get_runs(filters=RunsFilter(job_name=job), limit=1)[0]
        starts, ends = {}, {}
        for record in instance.all_logs(run.run_id):
            event = record.dagster_event
            if event is None:
                continue
            if event.event_type == DagsterEventType.STEP_START:
                starts[event.step_key] = record.timestamp
            elif event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
                ends[event.step_key] = record.timestamp
    return {step: (starts[step], ends[step]) for step in starts if step in ends}


def overlap_seconds(intervals: dict[str, tuple[float, float]]) -> float:
    (a_start, a_end), (b_start, b_end) = list(intervals.values())[:2]
    return max(0.0, min(a_end, b_end) - max(a_start, b_start))


def overlap(world: World, repeats: int) -> dict[str, Any]:
    home = world.fresh("dagster-home-overlap")
    result: dict[str, Any] = {}
    for selection, keys in SELECTIONS.items():
        ami = any(key.path[0] == "neo4j_ami" for key in keys)
        config = world.run_config(f"overlap-{selection}", RUN_CONFIG if ami else {})
        figures: dict[str, Any] = {}
        steps: dict[str, Any] = {}
        for executor in [executor for name, executor in JOBS if name == selection]:
            job = f"{selection}_{executor}"
            walls, overlaps, durations = [], [], {}
            for _ in range(repeats):
                env = world.env(world.fresh("work"), home)
                argv = [DAGSTER, "job", "execute", "-m", "benchmarks.overlap_location", "-j", job]
                walls.append(run_process([*argv, "-c", str(config)], env).wall_seconds)
                intervals = step_intervals(home, job)
                overlaps.append(overlap_seconds(intervals))
                for step, (start, end) in intervals.items():
                    durations.setdefault(step, []).append(end - start)
            figures[f"{executor}_wall"] = figure(walls, "s")
            figures[f"{executor}_overlap"] = figure(overlaps, "s")
            steps[executor] = {step: figure(values, "s") for step, values in durations.items()}
        result[f"overlap_{selection}"] = ok(
            figures, step_durations=steps, steps=[str(k) for k in SELECTIONS[selection]]
        )
    return result
