"""Where a measured Dagster run's wall time went, from its event log: the run's start, each step, the checks.

A no-op deploy is the slowest plan's step (its plan, side by side with the later components' plans made
ahead) and then the steps that only wait for those plans and run checks: this splits the wall time so the
figure shows what Dagster itself adds (start, step bookkeeping) apart from Terraform and verification.
"""

from __future__ import annotations

from dagster import DagsterEventType, DagsterInstance

_KINDS = {
    DagsterEventType.RUN_START,
    DagsterEventType.RUN_SUCCESS,
    DagsterEventType.RUN_FAILURE,
    DagsterEventType.STEP_START,
    DagsterEventType.STEP_SUCCESS,
    DagsterEventType.STEP_FAILURE,
    DagsterEventType.ASSET_MATERIALIZATION,
}


def spans(instance: DagsterInstance, run_id: str) -> dict[str, float]:
    """Seconds: `before_steps` (run start to the first step), every step by key, `after_steps` (to the run's
    end), and `app_checks` (the app step after its materialisation: its eight checks, in the step)."""
    starts: dict[str, float] = {}
    found: dict[str, float] = {}
    run_start = run_end = first = last = None
    app_materialized = None
    for entry in instance.all_logs(run_id, of_type=_KINDS):
        kind, step, at = entry.dagster_event_type, entry.step_key, entry.timestamp
        if kind == DagsterEventType.RUN_START:
            run_start = at
        elif kind in (DagsterEventType.RUN_SUCCESS, DagsterEventType.RUN_FAILURE):
            run_end = at
        elif kind == DagsterEventType.STEP_START:
            starts[step] = at
            first = at if first is None else first
        elif kind == DagsterEventType.ASSET_MATERIALIZATION and step and step.endswith("__app"):
            app_materialized = at
        elif step in starts:
            found[step] = at - starts[step]
            last = at
            if step.endswith("__app") and app_materialized is not None:
                found["app_checks"] = at - app_materialized
    if None in (run_start, run_end, first, last):
        return found
    return {"before_steps": first - run_start, **found, "after_steps": run_end - last}
