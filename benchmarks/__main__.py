"""Run the benchmarks: `.venv/bin/python -m benchmarks [--repeats N] [--only NAME ...] [--suite-durations F]`.

Writes benchmarks/results/latest.json and latest.png. Every figure is measured side by side in one run on
the rehearsal (benchmarks/world.py): two worlds, one deployed through Dagster and one by the plain script.
Each benchmark returns named entries (status ok with figures, a target and `meets_target`); a benchmark
that fails is recorded as failed with the reason, and the others still run. The figures build on each
other in this order: the first deploys, then the no-op redeploys, the Go runtime setting's plans, the drift job, the lead time of a push.
"""

from __future__ import annotations

import argparse
import time
import traceback
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from . import deploy, drift, go_runtime, lead_time, suite_cost
from .report import document, write
from .world import World, harness, world

RESULTS = Path(__file__).resolve().parent / "results"
BENCHMARKS: dict[str, Callable[[dict[str, World], int], dict[str, Any]]] = {
    "deploy_first": deploy.first,
    "deploy_noop": deploy.noop,
    "go_runtime": go_runtime.compare,
    "drift_nightly": drift.nightly,
    "lead_time": lead_time.push_to_healthy,
}
# What a benchmark needs done before it: the first deploys leave the worlds deployed.
NEEDS = {
    "deploy_noop": "deploy_first",
    "go_runtime": "deploy_first",
    "drift_nightly": "deploy_first",
    "lead_time": "deploy_first",
}
CHOICES = sorted([*BENCHMARKS, "suite_cost"])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="benchmarks", description=__doc__)
    parser.add_argument("--repeats", type=int, default=3, help="runs per repeated figure (default 3)")
    parser.add_argument("--only", nargs="+", choices=CHOICES, help="run only these (and what they need)")
    parser.add_argument("--suite-durations", type=Path, help="pytest --durations=0 output or junit XML")
    parser.add_argument("--results-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.suite_durations and not args.suite_durations.is_file():
        parser.error(f"--suite-durations {args.suite_durations}: no such file")
    chosen = set(args.only or CHOICES)
    chosen |= {NEEDS[name] for name in chosen if name in NEEDS}
    started = time.perf_counter()
    results: dict[str, Any] = {}
    if "suite_cost" in chosen:
        results.update(suite_cost.cost(args.suite_durations))
    names = [name for name in BENCHMARKS if name in chosen]
    if names:
        with harness() as root, ExitStack() as stack:
            worlds = {side: stack.enter_context(world(side, root)) for side in ("dagster", "direct")}
            failed: set[str] = set()
            for name in names:
                if NEEDS.get(name) in failed:
                    results[name] = {
                        "status": "failed",
                        "reason": f"{NEEDS[name]} failed: nothing to measure",
                    }
                    failed.add(name)
                    continue
                print(f"[benchmarks] {name} x{args.repeats} ...", flush=True)
                began = time.perf_counter()
                try:
                    results.update(BENCHMARKS[name](worlds, args.repeats))
                except Exception as error:  # one broken benchmark must not hide the others' figures
                    traceback.print_exc()
                    results[name] = {"status": "failed", "reason": f"{type(error).__name__}: {error}"[:2000]}
                    failed.add(name)
                print(f"[benchmarks] {name} done in {time.perf_counter() - began:.1f}s", flush=True)
    report = document(results, args.repeats, time.perf_counter() - started)
    json_path, png_path = write(report, args.results_dir)
    print(f"[benchmarks] wrote {json_path} and {png_path}")
    return report


if __name__ == "__main__":
    main()
