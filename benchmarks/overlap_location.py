"""Code location of the overlap benchmark: the real one, its AMI pipeline pointed at the benchmark world.

It adds one job per (selection, executor). The selections are assets that share nothing, with their checks
(scheduled ones aside, as a deploy runs them); the executors are the two the code location uses:
Dagster's default multiprocess executor (what an ad-hoc selection in the UI runs with) and `in_process_executor` (its
named jobs'). The AMI build is real against moto: an SSM base-image parameter, Neo4j's repository index on
loopback and a thread playing the builder and smoke-test instances (`tests/support/neo4j_images.py`), all
set up by `overlap.py` and named here through CREDEX_BENCH_* variables.
"""

import os

from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor, multiprocess_executor

from credex_orchestration.definitions import build_definitions
from credex_orchestration.environments import load_environments
from credex_orchestration.images.settings import Neo4jImagesResource

from .overlap import SELECTIONS

EXECUTORS = {"side_by_side": multiprocess_executor, "in_process": in_process_executor}


def images() -> Neo4jImagesResource:
    return Neo4jImagesResource(
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL"),
        base_image_parameter=os.environ.get("CREDEX_BENCH_BASE_IMAGE_PARAMETER", "/bench/al2023"),
        repository_url=os.environ.get("CREDEX_BENCH_NEO4J_REPOSITORY", "http://127.0.0.1:9/stable"),
        poll_interval_seconds=float(os.environ.get("CREDEX_BENCH_AMI_POLL_SECONDS", "0.5")),
        build_timeout_seconds=60,
        smoke_timeout_seconds=60,
        image_timeout_seconds=60,
    )


defs = Definitions.merge(
    build_definitions(load_environments(), {"neo4j_images": images()}),
    Definitions(
        jobs=[
            define_asset_job(
                f"{selection}_{executor}",
                AssetSelection.assets(*keys).without_checks(),
                executor_def=EXECUTORS[executor],
            )
            for selection, keys in SELECTIONS.items()
            for executor in EXECUTORS
        ]
    ),
)
