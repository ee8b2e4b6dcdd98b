"""Code location of the overlap benchmark: the real one plus jobs of independent assets under two executors.

`neo4j_ami/<edition>` and `<env>/connectors` share nothing, nor do two environments' connectors; a
multiprocess executor (forkserver start) may run them side by side, the in-process executor runs them one
after the other. The jobs live here, not in the code location, until the numbers justify one there.
"""

from dagster import (
    AssetKey,
    AssetSelection,
    Definitions,
    define_asset_job,
    in_process_executor,
    multiprocess_executor,
)

from credex_orchestration import definitions

FORKSERVER = multiprocess_executor.configured(
    {"start_method": {"forkserver": {}}, "max_concurrent": 2}, name="multiprocess_forkserver"
)
SELECTIONS = {
    "ami_and_connectors": [AssetKey(["neo4j_ami", "community"]), AssetKey(["development", "connectors"])],
    "two_connectors": [AssetKey(["development", "connectors"]), AssetKey(["staging", "connectors"])],
}
EXECUTORS = {"forkserver": FORKSERVER, "in_process": in_process_executor}
# The AMI placeholder takes ~0.1 s, so in-process it adds nothing worth a run; the connectors pair runs both ways.
JOBS = [
    ("ami_and_connectors", "forkserver"),
    ("two_connectors", "forkserver"),
    ("two_connectors", "in_process"),
]

defs = Definitions.merge(
    definitions.defs,
    Definitions(
        jobs=[
            define_asset_job(
                f"{selection}_{executor}",
                AssetSelection.assets(*SELECTIONS[selection]),
                executor_def=EXECUTORS[executor],
            )
            for selection, executor in JOBS
        ]
    ),
)
