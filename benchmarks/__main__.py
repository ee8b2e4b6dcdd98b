"""Run the benchmarks: `.venv/bin/python -m benchmarks [--repeats N] [--only NAME ...]`.

Writes benchmarks/results/latest.json and latest.png. Each benchmark returns named entries (status ok with
figures); a benchmark that fails is recorded as failed with the reason, and the others still run.
"""

from __future__ import annotations

import argparse
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import code_location, deploy, overlap, phases, sensors
from .report import document, write
from .world import World, world

RESULTS = Path(__file__).resolve().parent / "results"
BENCHMARKS: dict[str, Callable[[World, int], dict[str, Any]]] = {
    "deploy_full": deploy.full,
    "deploy_noop": deploy.noop,
    "deploy_phases": phases.phases,
    "overlap": overlap.overlap,
    "branch_sensor": sensors.branch_tick,
    "release_sensor": sensors.release_tick,
    "code_location": code_location.load,
}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="benchmarks", description=__doc__)
    parser.add_argument("--repeats", type=int, default=5, help="runs per figure (default 5)")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run only these benchmarks")
    parser.add_argument("--results-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    started = time.perf_counter()
    results: dict[str, Any] = {}
    with world() as bench_world:
        for name in args.only or BENCHMARKS:
            print(f"[benchmarks] {name} x{args.repeats} ...", flush=True)
            began = time.perf_counter()
            try:
                results.update(BENCHMARKS[name](bench_world, args.repeats))
            except Exception as error:  # one broken benchmark must not hide the others' figures
                traceback.print_exc()
                results[name] = {"status": "failed", "reason": f"{type(error).__name__}: {error}"[:2000]}
            print(f"[benchmarks] {name} done in {time.perf_counter() - began:.1f}s", flush=True)
    report = document(results, args.repeats, time.perf_counter() - started)
    json_path, png_path = write(report, args.results_dir)
    print(f"[benchmarks] wrote {json_path} and {png_path}")
    return report


if __name__ == "__main__":
    main()
