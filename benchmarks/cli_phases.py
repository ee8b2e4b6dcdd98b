"""The `dagster` CLI with a clock on its phases: `python -m benchmarks.cli_phases job execute ...`.

It runs Dagster's own CLI entry point unchanged, after wrapping (not replacing) the four calls a `job execute`
makes in turn: the instance, the code location, the run's creation (with its planned events) and the run
itself. At exit it prints one line `CLI_PHASES {json}` to stderr: each phase's start and end, epoch seconds.
Used by `phases.py` only; the deploy benchmarks measure the plain `dagster` command.
"""

from __future__ import annotations

import atexit
import json
import sys
import time
from collections.abc import Callable
from typing import Any

STARTED = time.time()
MARK = "CLI_PHASES "
_phases: dict[str, list[float]] = {}


def _clocked(owner: Any, name: str, phase: str) -> None:
    original: Callable[..., Any] = getattr(owner, name)

    def clocked(*args: Any, **kwargs: Any) -> Any:
        start = time.time()
        try:
            return original(*args, **kwargs)
        finally:
            _phases.setdefault(phase, [start, time.time()])

    setattr(owner, name, clocked)


def _report() -> None:
    sys.stderr.write(
        MARK + json.dumps({"started": STARTED, "exiting": time.time(), "phases": _phases}) + "\n"
    )


def main() -> None:
    from dagster._cli import main as dagster_main

    imported = time.time()
    from dagster._cli import job
    from dagster._core.execution import api
    from dagster._core.instance import DagsterInstance
    from dagster._core.instance.runs.run_domain import RunDomain

    _phases["cli_import"] = [STARTED, imported]
    _clocked(DagsterInstance, "get", "instance")
    _clocked(job, "_get_job_python_origin_from_cli_opts", "code_location")
    _clocked(RunDomain, "create_run_for_job", "run_creation")
    _clocked(api, "execute_run", "execution")
    atexit.register(_report)
    sys.argv[0] = "dagster"
    dagster_main()


if __name__ == "__main__":
    main()
