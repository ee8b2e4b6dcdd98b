"""Plans made ahead: a deploy's later components planned while its first one runs (decision 0161).

A redeploy that changes nothing is three plans, one after the other, each waiting for the one before only to
learn that its inputs have not moved. The first component step of an environment in a run therefore starts
the plans of the run's later components at once, in threads (Terraform is a subprocess), with the variables
the outputs already in state give them. A later component's step uses that plan only when it is certainly
what its own plan would be:
- the plan has no changes (a plan with changes is made again by the step: its review, guards and roll-out
  see a plan of their own, and nothing is ever applied from a plan made ahead);
- the step's variables are exactly those the plan was made with;
- nothing in the environment was applied, imported or rolled out by this run since the plan started;
- the component's state is at the serial and lineage it was when the plan started (no other writer).
Otherwise the step plans as always. Only the in-process executor shares a process between steps; other
executors plan as always. A plan made ahead writes nothing: its saved plan is deleted as soon as it is made.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import naming
from ..environments import COMPONENTS, Environment
from ..lib.terraform import PlanSummary, TerraformWorkspace

# (context, environment, component) -> the variables the component's step would plan with, or None when
# they cannot be known before the step runs (components/plan_ahead.py).
VariablesAhead = Callable[[Any, Environment, str], Mapping[str, Any] | None]
_KEPT_RUNS = 8
# Executors that run every step in one process (the named jobs' own, and `execute_in_process`'s).
_ONE_PROCESS = ("in_process", "execute_in_process_executor")


@dataclass
class Ahead:
    variables: dict[str, Any]
    state_version: tuple[str, int] | None
    plan: PlanSummary | None  # None: the plan failed (the step's own plan reports why)


@dataclass
class _Run:
    futures: dict[tuple[str, str], Future]
    applied: set[str]  # environments in which this run changed something since the plans started


_runs: OrderedDict[str, _Run] = OrderedDict()
_lock = threading.Lock()


def start(
    context: Any,
    environment: Environment,
    component: str,
    workspace_for: Callable[[str], TerraformWorkspace],
    plan_dir: Path,
    variables_ahead: VariablesAhead,
) -> list[str]:
    """Start the plans of the components after `component` that this run deploys; returns their names."""
    run_id = context.run.run_id
    if getattr(context.job_def.executor_def, "name", "") not in _ONE_PROCESS:
        return []
    later = [c for c in COMPONENTS[COMPONENTS.index(component) + 1 :] if _selected(context, environment, c)]
    with _lock:
        run = _runs.setdefault(run_id, _Run({}, set()))
        _runs.move_to_end(run_id)
        while len(_runs) > _KEPT_RUNS:
            _runs.popitem(last=False)
        if environment.name in run.applied:  # what the plans would read is changing: nothing to gain
            return []
        later = [c for c in later if (environment.name, c) not in run.futures]
        planned = []
        for name in later:
            try:
                variables = variables_ahead(context, environment, name)
            except Exception:  # the step meets the same problem and reports it; nothing to plan ahead
                variables = None
            if variables is None:
                continue
            workspace = workspace_for(name)
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"plan-ahead-{name}")
            run.futures[(environment.name, name)] = pool.submit(_plan, workspace, dict(variables), plan_dir)
            pool.shutdown(wait=False)
            planned.append(name)
    return planned


def _selected(context: Any, environment: Environment, component: str) -> bool:
    selection = context.run.asset_selection  # None or empty: the job's every asset
    return not selection or naming.component_key(environment.name, component) in selection


def _plan(workspace: TerraformWorkspace, variables: dict[str, Any], plan_dir: Path) -> Ahead:
    version = workspace.state_version()
    if version is None:  # never deployed: its plan has changes, nothing to gain
        return Ahead(variables, None, None)
    plan_dir.mkdir(parents=True, exist_ok=True)
    path = plan_dir / f"ahead-{uuid.uuid4().hex}.tfplan"
    try:
        return Ahead(variables, version, workspace.plan(path, variables))
    except Exception:
        return Ahead(variables, version, None)
    finally:
        path.unlink(missing_ok=True)  # it holds state values; an unchanged plan is never applied


def wait(run_id: str, environment: Environment, component: str) -> Ahead | None:
    """The plan made ahead for this step, once it is done (so no two Terraform commands share a data dir)."""
    with _lock:
        run = _runs.get(run_id)
        future = run.futures.pop((environment.name, component), None) if run else None
        applied = run is not None and environment.name in run.applied
    if future is None:
        return None
    ahead = future.result()
    return None if applied else ahead


def usable(
    ahead: Ahead | None,
    run_id: str,
    environment: Environment,
    workspace: TerraformWorkspace,
    variables: Mapping[str, Any],
) -> PlanSummary | None:
    """The plan made ahead when it is certainly the step's own plan (see the module's rules), else None."""
    if ahead is None or ahead.plan is None or ahead.plan.has_changes or ahead.state_version is None:
        return None
    with _lock:
        run = _runs.get(run_id)
        if run is None or environment.name in run.applied:
            return None
    if ahead.variables != dict(variables):
        return None
    if workspace.state_version() != ahead.state_version:
        return None
    return ahead.plan


def changed(run_id: str, environment: Environment) -> None:
    """This run changed something in the environment: the plans made ahead there no longer hold."""
    with _lock:
        run = _runs.get(run_id)
        if run is not None:
            run.applied.add(environment.name)
