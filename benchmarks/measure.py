"""Timing and memory of whole processes, and the figures (median, min, max) the report shows."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class ProcessRun:
    """One finished process: wall time, CPU time of its process tree, peak memory of its largest process.

    CPU time (user + system of the process and every descendant it waited for, Terraform included) moves
    far less with the machine's load than wall time: on a shared machine it is the steadier comparison.
    """

    wall_seconds: float
    cpu_seconds: float
    max_rss_mb: float
    returncode: int
    output: str
    started: float = 0.0  # epoch seconds just before the process was spawned


class ProcessFailed(RuntimeError):
    """A measured process exited non-zero: its figures would mean nothing."""


def run_process(
    argv: Sequence[str], env: Mapping[str, str], cwd: Path | None = None, check: bool = True
) -> ProcessRun:
    """Run `argv` to completion; memory comes from wait4 (the child and the descendants it waited for)."""
    log_path = Path(env.get("CREDEX_BENCH_TMP", "/tmp")) / f"process-{os.getpid()}-{time.monotonic_ns()}.log"
    with open(log_path, "w+") as log:
        started = time.time()
        start = time.perf_counter()
        process = subprocess.Popen(
            list(argv), env=dict(env), cwd=cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        output = log.read()
    log_path.unlink(missing_ok=True)
    cpu = usage.ru_utime + usage.ru_stime
    result = ProcessRun(wall, cpu, usage.ru_maxrss / 1024, process.returncode, output, started)
    if check and result.returncode != 0:
        tail = "\n".join(output.splitlines()[-25:])
        raise ProcessFailed(f"{' '.join(argv[:6])} exited {result.returncode}:\n{tail}")
    return result


def figure(values: Sequence[float], unit: str, digits: int = 3) -> dict[str, Any]:
    """Median, minimum and maximum of repeated runs, with the runs themselves."""
    runs = [round(value, digits) for value in values]
    return {
        "unit": unit,
        "median": round(statistics.median(values), digits),
        "min": min(runs),
        "max": max(runs),
        "runs": runs,
    }


def ratio(numerator: dict[str, Any], denominator: dict[str, Any]) -> float:
    return round(numerator["median"] / denominator["median"], 3)


def ok(figures: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"status": "ok", "figures": figures, **extra}
