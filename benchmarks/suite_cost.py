"""Figure 6: what the rehearsal costs the test suite, read from a run of the suite (never timed here).

Reads pytest's `--durations=0` output or a junit XML file (`--junitxml`), given with `--suite-durations`,
and sums setup, call and teardown per test file: the rehearsal's files (`test_rehearsal*`) apart from the
rest. Without a file the figure says it was not measured in this run.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from pathlib import Path
from typing import Any

from .measure import figure, ok

_LINE = re.compile(r"^\s*(?P<seconds>\d+(?:\.\d+)?)s\s+(?:setup|call|teardown)\s+(?P<test>\S+)")
# pytest's last line: "=== 401 passed, 2 failed in 2362.09s (0:39:22) ==="
_SUMMARY = re.compile(r"=+ (?P<counts>\d+ \w+(?:, \d+ \w+)*) in (?P<seconds>\d+(?:\.\d+)?)s")


def suite_wall(path: Path) -> dict[str, Any]:
    """The run's wall time and outcome counts from pytest's summary line, {} when the file has none."""
    found = [match for line in path.read_text().splitlines() if (match := _SUMMARY.search(line))]
    if not found:
        return {}
    counts = {
        word: int(number) for number, word in (part.split() for part in found[-1]["counts"].split(", "))
    }
    return {"suite_wall_seconds": float(found[-1]["seconds"]), "outcomes": counts}


def _module_path(classname: str) -> str:
    """pytest's junit classname (`tests.test_x` or `tests.test_x.TestCase`) as the file `tests/test_x.py`."""
    parts = classname.split(".")
    module = next((i for i, part in enumerate(parts) if part.startswith("test_")), len(parts) - 1)
    return "/".join(parts[: module + 1]) + ".py"


def per_file(path: Path) -> dict[str, float]:
    """Seconds per test file from a durations listing or a junit XML file."""
    text = path.read_text()
    seconds: dict[str, float] = defaultdict(float)
    if text.lstrip().startswith("<"):
        for case in ElementTree.fromstring(text).iter("testcase"):
            seconds[case.get("file") or _module_path(case.get("classname", "?"))] += float(
                case.get("time") or 0
            )
    else:
        for line in text.splitlines():
            match = _LINE.match(line)
            if match:
                seconds[match["test"].split("::")[0]] += float(match["seconds"])
    if not seconds:
        raise ValueError(f"{path}: no test durations found (pytest --durations=0 output or --junitxml)")
    return dict(seconds)


def cost(durations: Path | None) -> dict[str, Any]:
    if durations is None:
        return {
            "suite_cost": {
                "status": "not measured",
                "reason": "no pytest --durations/--junitxml file given (--suite-durations): "
                "the CI figure comes from the suite's own run",
            }
        }
    files = per_file(durations)
    rehearsal = {name: value for name, value in files.items() if "test_rehearsal" in name}
    total, share = sum(files.values()), sum(rehearsal.values())
    wall = suite_wall(durations)
    return {
        "suite_cost": ok(
            {
                "rehearsal_files": figure([share], "s", 1),
                "whole_suite": figure([total], "s", 1),
                **{Path(name).stem: figure([value], "s", 1) for name, value in sorted(rehearsal.items())},
            },
            share_of_suite=round(share / total, 3) if total else None,
            source=str(durations),
            **wall,
            target="the whole suite well under 90 minutes in CI",
            meets_target=wall.get("suite_wall_seconds", total) < 90 * 60,
        )
    }
