"""Benchmark 3: independent steps overlap in time side by side; shown from the steps' start and end events.

Each run is a whole `dagster job execute` process on fresh Terraform state; step intervals come from the
STEP_START and STEP_SUCCESS events in the run's event log (DAGSTER_HOME), so the overlap is what Dagster
recorded. The AMI build runs for real against moto (base image, builder, image, smoke-test instance); a
thread in this process plays the instances, and its poll interval sets how long the build waits.
"""

from __future__ import annotations

from typing import Any

from dagster import AssetKey

from tests.support.neo4j_images import InstanceStandIn, base_image, repository_server

from .measure import figure, ok, run_process
from .runs import step_intervals
from .world import DAGSTER, World

VERSION = "5.26.12"
BASE_IMAGE_PARAMETER = "/bench/al2023"
RUN_CONFIG = {"ops": {"neo4j_ami__community": {"config": {"version": VERSION}}}}
AMI_STEP, CONNECTORS_STEP = "neo4j_ami__community", "development__connectors"
SELECTIONS = {
    "ami_and_connectors": [AssetKey(["neo4j_ami", "community"]), AssetKey(["development", "connectors"])],
    "two_connectors": [AssetKey(["development", "connectors"]), AssetKey(["staging", "connectors"])],
}
PAIRS = {
    "ami_and_connectors": (AMI_STEP, CONNECTORS_STEP),
    "two_connectors": (CONNECTORS_STEP, "staging__connectors"),
}
EXECUTORS = ("side_by_side", "in_process")  # the jobs of overlap_location.py, one per executor


def overlap_seconds(intervals: dict[str, tuple[float, float]], first: str, second: str) -> float:
    (a_start, a_end), (b_start, b_end) = intervals[first], intervals[second]
    return max(0.0, min(a_end, b_end) - max(a_start, b_start))


def overlap(world: World, repeats: int) -> dict[str, Any]:
    base_image(world.endpoint_url, parameter=BASE_IMAGE_PARAMETER)
    result: dict[str, Any] = {}
    with (
        repository_server({"neo4j": [VERSION], "neo4j-enterprise": [VERSION]}) as repository,
        InstanceStandIn(world.endpoint_url),
    ):
        for selection in SELECTIONS:
            ami = selection.startswith("ami")
            config = world.run_config(f"overlap-{selection}", RUN_CONFIG if ami else {})
            first, second = PAIRS[selection]
            figures: dict[str, Any] = {}
            steps: dict[str, Any] = {}
            for executor in EXECUTORS:
                job, home = f"{selection}_{executor}", world.dagster_home(f"home-{selection}-{executor}")
                walls, overlaps, durations = [], [], {}
                for _ in range(repeats):
                    env = world.env(world.fresh("work"), home)
                    env.update(
                        CREDEX_BENCH_BASE_IMAGE_PARAMETER=BASE_IMAGE_PARAMETER,
                        CREDEX_BENCH_NEO4J_REPOSITORY=repository,
                    )
                    argv = [DAGSTER, "job", "execute", "-m", "benchmarks.overlap_location", "-j", job]
                    walls.append(run_process([*argv, "-c", str(config)], env).wall_seconds)
                    intervals = step_intervals(home, job)
                    overlaps.append(overlap_seconds(intervals, first, second))
                    for step, (start, end) in intervals.items():
                        durations.setdefault(step, []).append(end - start)
                figures[f"{executor}_wall"] = figure(walls, "s")
                figures[f"{executor}_overlap"] = figure(overlaps, "s")
                steps[executor] = {step: figure(values, "s") for step, values in durations.items()}
            result[f"overlap_{selection}"] = ok(
                figures,
                pair=[first, second],
                step_durations=steps,
                saved_seconds=round(
                    figures["in_process_wall"]["median"] - figures["side_by_side_wall"]["median"], 3
                ),
            )
    return result
