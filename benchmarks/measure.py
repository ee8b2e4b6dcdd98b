"""The figures (median, min, max of repeated runs) the report shows."""

from __future__ import annotations

import os
import resource
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class ProcessFailed(RuntimeError):
    """A measured run failed or did other work than the figure needs: its figures would mean nothing."""


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


def cpu_seconds(*pids: int | None) -> float:
    """CPU time so far of this process, the children it waited for (Terraform, the integration suite) and
    the given other processes (moto's server): wall time below the difference over the cores is impossible."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    for pid in pids:
        if pid is not None:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total
