"""Benchmark probe: when CREDEX_BENCH_TF_LOG is set, each Terraform process appends its command and times.

Put on PYTHONPATH by the harness only; the engine passes the environment on to its Terraform processes, so
this counts them without touching the engine. One JSON line per process: command, start and end (epoch s).
"""

import atexit
import json
import os
import sys
import time

_LOG = os.environ.get("CREDEX_BENCH_TF_LOG")
_START = time.time()


def _record() -> None:
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is None or spec.name != "credex_orchestration.lib.terraform_cli":
        return
    command = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), "?")
    with open(_LOG, "a") as handle:
        handle.write(json.dumps({"command": command, "start": _START, "end": time.time()}) + "\n")


if _LOG:
    atexit.register(_record)
