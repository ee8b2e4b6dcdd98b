"""The benchmark harness runs and writes its report; no timing is asserted here (targets live in the report)."""

from __future__ import annotations

import json

import pytest

from benchmarks.__main__ import main
from benchmarks.measure import figure
from benchmarks.sensors import _modules


def test_a_figure_is_median_min_and_max_of_its_runs() -> None:
    assert figure([3.0, 1.0, 2.0, 10.0, 4.0], "s") == {
        "unit": "s",
        "median": 3.0,
        "min": 1.0,
        "max": 10.0,
        "runs": [3.0, 1.0, 2.0, 10.0, 4.0],
    }


def test_a_missing_module_becomes_a_reason_to_skip() -> None:
    reason = _modules(("credex_orchestration.no_such_area",))
    assert isinstance(reason, str) and "credex_orchestration.no_such_area" in reason


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
    assert release["status"] in ("ok", "skipped")
    if release["status"] == "skipped":
        assert "not importable" in release["reason"]
    else:
        assert release["figures"]["body_bytes"]["max"] == 0
    png = tmp_path / "latest.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
