"""Benchmark probe: when CREDEX_BENCH_TF_LOG is set, each Terraform process appends what it ran, and when.

Put on PYTHONPATH by the harness only; the engine passes the environment on to its Terraform processes, so
this counts them without touching the engine. One JSON line per process: command, the root it ran in (the
component), the environment and component of its data dir (TF_DATA_DIR `<work>/data/<env>/<component>`),
start and end (epoch s).
"""

import atexit
import json
import os
import sys
import time
from pathlib import Path

_LOG = os.environ.get("CREDEX_BENCH_TF_LOG")
_START = time.time()


def _record() -> None:
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is None or spec.name != "credex_orchestration.lib.terraform_cli":
        return
    args = [arg for arg in sys.argv[1:] if not arg.startswith("-chdir=")]
    command = next((arg for arg in args if not arg.startswith("-")), "?")
    data_dir = Path(os.environ.get("TF_DATA_DIR", "?/?"))
    record = {
        "command": command,
        "environment": data_dir.parent.name,
        "component": data_dir.name,
        "start": _START,
        "end": time.time(),
    }
    with open(_LOG, "a") as handle:
        handle.write(json.dumps(record) + "\n")


if _LOG:
    atexit.register(_record)
