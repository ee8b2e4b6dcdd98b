"""The benchmark harness runs and writes its report; no timing is asserted here (targets live in the report)."""

from __future__ import annotations

import json

import pytest

from benchmarks.__main__ import main
from benchmarks.measure import figure


def test_a_figure_is_median_min_and_max_of_its_runs() -> None:
    assert figure([3.0, 1.0, 2.0, 10.0, 4.0], "s") == {
        "unit": "s",
        "median": 3.0,
        "min": 1.0,
        "max": 10.0,
        "runs": [3.0, 1.0, 2.0, 10.0, 4.0],
    }


@pytest.mark.slow
def test_the_harness_writes_json_and_chart(tmp_path) -> None:
    main(["--repeats", "1", "--only", "code_location", "release_sensor", "--results-dir", str(tmp_path)])
    results = json.loads((tmp_path / "latest.json").read_text())
    assert results["schema"] == 1 and results["repeats"] == 1
    assert {"nproc", "ram_gb", "cpu"} <= set(results["machine"])
    load = results["benchmarks"]["code_location"]
    assert load["status"] == "ok"
    for name in ("validate", "import_dagster", "import_definitions"):
        value = load["figures"][name]
        assert value["unit"] == "s" and len(value["runs"]) == 1
        assert value["min"] <= value["median"] <= value["max"]
    release = results["benchmarks"]["release_sensor"]
    assert release["status"] == "ok" and release["figures"]["body_bytes"]["max"] == 0
    png = tmp_path / "latest.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


@pytest.mark.slow
def test_both_sides_of_the_deploy_comparison_do_the_same_work(tmp_path) -> None:
    """Same Terraform processes on both sides and every check run and passed: else a ratio means nothing."""
    main(["--repeats", "1", "--only", "deploy_full", "deploy_phases", "--results-dir", str(tmp_path)])
    results = json.loads((tmp_path / "latest.json").read_text())["benchmarks"]
    full, components = results["deploy_full"], results["deploy_components"]
    assert full["status"] == "ok", full.get("reason")
    assert full["checks"] == 14 and full["target"] == 1.2 and isinstance(full["meets_target"], bool)
    processes = full["terraform_processes"]
    assert processes["dagster"] == processes["direct"] and processes["dagster"]["apply"] == 3
    assert components["status"] == "ok" and components["checks"] == 0
    assert components["terraform_processes"]["dagster"] == components["terraform_processes"]["direct"]
    memory = results["deploy_memory"]["figures"]
    assert memory["dagster_peak_rss"]["median"] > 50 and memory["direct_peak_rss"]["median"] > 50
    # Where the time goes: every phase of both processes measured, and the deploy's work inside the steps.
    phases = results["deploy_phases"]
    assert phases["status"] == "ok", phases.get("reason")
    values = {name: figure["median"] for name, figure in phases["figures"].items()}
    assert all(value > 0 for value in values.values()), values
    assert values["dagster_steps"] > values["dagster_run_events"] and values["script_work"] > 1
