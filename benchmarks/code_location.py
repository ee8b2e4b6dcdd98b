"""Benchmark 5: loading the code location (`dagster definitions validate`) against a bare `import dagster`."""

from __future__ import annotations

import subprocess
from typing import Any

from .measure import figure, ok, ratio, run_process
from .world import DAGSTER, PYTHON, World

MODULE = "credex_orchestration.definitions"


def load(world: World, repeats: int) -> dict[str, Any]:
    env = world.env(world.root / "work-load")
    validate = [DAGSTER, "definitions", "validate", "-m", MODULE]
    bare = [PYTHON, "-c", "import dagster"]
    module = [PYTHON, "-c", f"import {MODULE}"]
    runs: dict[str, list[float]] = {"validate": [], "import_dagster": [], "import_definitions": []}
    for _ in range(repeats):
        runs["validate"].append(run_process(validate, env).wall_seconds)
        runs["import_dagster"].append(run_process(bare, env).wall_seconds)
        runs["import_definitions"].append(run_process(module, env).wall_seconds)
    figures = {name: figure(values, "s") for name, values in runs.items()}
    return {
        "code_location": ok(
            figures,
            ratio_validate_to_import=ratio(figures["validate"], figures["import_dagster"]),
            slowest_imports=slowest_imports(env),
        )
    }


def slowest_imports(env: dict[str, str], count: int = 8) -> list[dict[str, Any]]:
    """`python -X importtime` of the code location: the packages that cost most (cumulative ms)."""
    result = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", f"import {MODULE}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in result.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2].strip()
        if "." not in name or name.startswith("credex_orchestration"):
            rows.append({"module": name, "cumulative_ms": round(int(parts[1]) / 1000, 1)})
    rows.sort(key=lambda row: row["cumulative_ms"], reverse=True)
    return rows[:count]
