"""The figures (median, min, max of repeated runs) the report shows."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
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
