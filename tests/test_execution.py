"""How the code location's runs execute: the executor of every job, and the load's frozen objects."""

from __future__ import annotations

import subprocess
import sys

from dagster import AssetKey

from credex_orchestration.definitions import build_definitions
from credex_orchestration.environments import load_environments
from credex_orchestration.execution import SIDE_BY_SIDE


def test_every_named_job_runs_in_one_process_and_ad_hoc_selections_side_by_side() -> None:
    defs = build_definitions(load_environments())
    executors = {job.name: job.executor_def for job in defs.resolve_all_job_defs()}
    named = {name: executor.name for name, executor in executors.items() if not name.startswith("__")}
    assert len(named) >= 20 and set(named.values()) == {"in_process"}, named
    # What the UI's Materialize or `dagster asset materialize` builds for a selection of assets.
    ad_hoc = defs.resolve_implicit_job_def_def_for_assets(
        [AssetKey(["neo4j_ami", "community"]), AssetKey(["development", "connectors"])]
    )
    assert ad_hoc is not None and ad_hoc.executor_def is SIDE_BY_SIDE
    config = SIDE_BY_SIDE.apply_config_mapping({}).value["config"]  # what the configured executor gets
    assert config["start_method"] == {"forkserver": {}} and config["max_concurrent"] == 2


def test_loading_the_code_location_freezes_what_it_built() -> None:
    """Decision 0074: the load's objects leave the collector's generations for the permanent one."""
    probe = (
        "import gc; before = gc.get_freeze_count(); import credex_orchestration.definitions; "
        "print(before, gc.get_freeze_count(), gc.get_count()[2])"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    before, frozen, _ = (int(value) for value in result.stdout.split())
    assert before == 0 and frozen > 50_000
