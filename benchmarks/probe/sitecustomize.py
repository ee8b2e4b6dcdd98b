"""Benchmark probe: when CREDEX_BENCH_TF_LOG is set, each Terraform process appends what it ran, and when.

Put on PYTHONPATH by the harness only; the engine passes the environment on to its Terraform processes, so
this counts them without touching the engine. One JSON line per process: command, the root it ran in (the
component), the environment and component of its data dir (TF_DATA_DIR `<work>/data/<env>/<component>`),
start and end (epoch s), CPU seconds of the process and the children it waited for (Terraform's providers),
and the largest resident set of either, in MiB.
"""

import atexit
import json
import os
import resource
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
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    record = {
        "command": command,
        "environment": data_dir.parent.name,
        "component": data_dir.name,
        "start": _START,
        "end": time.time(),
        "cpu": own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime,
        "max_rss_mib": max(own.ru_maxrss, children.ru_maxrss) // 1024,
    }
    with open(_LOG, "a") as handle:
        handle.write(json.dumps(record) + "\n")


if _LOG:
    atexit.register(_record)
