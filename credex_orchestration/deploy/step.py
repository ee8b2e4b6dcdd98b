"""The step every component asset shares: plan, apply only on changes, read outputs, record metadata."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue

from ..environments import Environment
from ..lib.redact import Redactor
from ..lib.terraform import ApplySummary, LogFn, Output, PlanSummary, TerraformWorkspace
from ..resources import AwsResource, TerraformResource
from . import plan_ahead
from .config import DeployConfig
from .failures import explained_failures
from .imports import import_before_plan
from .review import link_metadata, review_plan

PlanStep = Callable[[TerraformWorkspace, Path], tuple[PlanSummary, dict[str, Any]]]


def compute_log(line: str) -> None:
    """Terraform's lines go to the step's compute log (stdout), as they arrive."""
    print(line, file=sys.stdout, flush=True)


def open_workspace(
    environment: Environment,
    component: str,
    terraform: TerraformResource,
    aws: AwsResource | None = None,
    redactor: Redactor | None = None,
    log: LogFn | None = compute_log,
) -> TerraformWorkspace:
    """A prepared workspace with the environment's AWS credentials (from env vars, never argv)."""
    env: dict[str, str] = {}
    redactor = redactor or Redactor()
    if aws is not None and (environment.aws.role_arn or environment.aws.account_id):
        session = aws.session(environment)
        session.check_account(environment.aws.account_id)
        env = session.credentials_env()
        redactor.add([env.get("AWS_SECRET_ACCESS_KEY"), env.get("AWS_SESSION_TOKEN")])
    return terraform.workspace(environment, component, log=log, env=env, redactor=redactor)


def read_outputs(
    environment: Environment, component: str, terraform: TerraformResource, required: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Outputs of an upstream component, from its workspace's state (the single source of truth)."""
    outputs = terraform.workspace(environment, component, log=compute_log).outputs()
    missing = [name for name in required if name not in outputs]
    if missing:
        raise RuntimeError(
            f"{environment.name}/{component} has no output(s) {', '.join(missing)} in workspace "
            f"{component}_{environment.name}: materialise {environment.name}/{component} first"
        )
    return {name: output.value for name, output in outputs.items()}


def plan_metadata(plan: PlanSummary) -> dict[str, Any]:
    changed = [f"{change.action}: {change.address}" for change in plan.changes if change.action != "noop"]
    return {
        "plan_add": plan.add,
        "plan_change": plan.change,
        "plan_destroy": plan.destroy,
        "plan_import": plan.imports,
        "plan_has_changes": plan.has_changes,
        "changed_addresses": MetadataValue.json(changed),
    }


def output_metadata(outputs: Mapping[str, Output]) -> dict[str, Any]:
    visible = {name: output.value for name, output in outputs.items() if not output.sensitive}
    hidden = sorted(name for name, output in outputs.items() if output.sensitive)
    return {"outputs": MetadataValue.json(visible), "sensitive_outputs": MetadataValue.json(hidden)}


def outputs_after(
    workspace: TerraformWorkspace,
    plan: PlanSummary,
    applied: ApplySummary,
    known: Mapping[str, Output] | None = None,
) -> Mapping[str, Output]:
    """The outputs for the step's metadata, without a `terraform output` process when the run has them.

    An apply reports its outputs (sensitive values aside, which metadata never shows); a plan without changes
    (detailed exit code 0, which also means no output changes) leaves the outputs read before it (`known`)
    as they are. Otherwise they are read from state (docs/decisions/0071-terraform-processes.md).
    """
    if plan.has_changes and applied.outputs is not None:
        return applied.outputs
    if not plan.has_changes and known is not None:
        return known
    return workspace.outputs()


@explained_failures
def deploy_component(
    context: AssetExecutionContext,
    environment: Environment,
    component: str,
    terraform: TerraformResource,
    aws: AwsResource,
    variables: Mapping[str, Any],
    config: DeployConfig,
    known_outputs: Mapping[str, Output] | None = None,
    plan_step: PlanStep | None = None,
    variables_ahead: plan_ahead.VariablesAhead | None = None,
) -> MaterializeResult:
    """Plan the component's root into a saved plan and apply it only when it has changes.

    `known_outputs`: the component's own outputs if the step already read them before planning.
    `plan_step`: a component's own way to reach the plan to apply (the databases guard and roll-out); it
    returns that plan and metadata to add (which may say `applied` when it changed resources itself).
    `variables_ahead`: how the components after this one compute their variables (components/plan_ahead.py),
    so their plans start now, side by side; without it nothing is planned ahead.
    """
    plan_path = terraform.plan_path(environment, component, context.run.run_id)
    discard_plans(plan_path.parent)  # a killed worker's plans: nobody applies them, they hold prior state
    if variables_ahead is not None:
        _plan_later_components(context, environment, component, terraform, aws, variables_ahead)
    try:
        return _deploy(
            context,
            environment,
            component,
            terraform,
            aws,
            variables,
            config,
            plan_path,
            known_outputs,
            plan_step,
        )
    finally:
        discard_plans(plan_path.parent)


def _plan_later_components(
    context: AssetExecutionContext,
    environment: Environment,
    component: str,
    terraform: TerraformResource,
    aws: AwsResource,
    variables_ahead: plan_ahead.VariablesAhead,
) -> None:
    """The run's later components of this environment planned now, side by side (deploy/plan_ahead.py)."""
    def workspace_for(name: str) -> TerraformWorkspace:
        return open_workspace(environment, name, terraform, aws, log=None)

    plan_dir = terraform.work_path / "plans-ahead" / environment.name
    discard_plans(plan_dir)  # a killed worker's: they hold state values
    planned = plan_ahead.start(context, environment, component, workspace_for, plan_dir, variables_ahead)
    if planned:
        context.log.info(f"{environment.name}: planning {', '.join(planned)} ahead, on the outputs in state")


def discard_plans(plan_dir: Path) -> None:
    """Saved plans hold the prior state, sensitive values included: they live only for the step that made
    them (private, see lib/terraform_faults.py's umask), and one writer per environment means every plan in
    this component's directory belongs to this step or to a dead one."""
    for plan in plan_dir.glob("*.tfplan"):
        plan.unlink(missing_ok=True)


def _deploy(
    context: AssetExecutionContext,
    environment: Environment,
    component: str,
    terraform: TerraformResource,
    aws: AwsResource,
    variables: Mapping[str, Any],
    config: DeployConfig,
    plan_path: Path,
    known_outputs: Mapping[str, Output] | None,
    plan_step: PlanStep | None,
) -> MaterializeResult:
    ahead = plan_ahead.wait(context.run.run_id, environment, component)
    workspace = open_workspace(environment, component, terraform, aws)
    imported = import_before_plan(
        context, environment, component, terraform, aws, workspace, variables, config.use_existing_resources
    )
    if imported:
        plan_ahead.changed(context.run.run_id, environment)
    reusable = plan_ahead.usable(ahead, context.run.run_id, environment, workspace, variables)
    if reusable is not None:
        workspace.reuse_plan(variables, reusable)
    workspace.prepare()
    plan, extra = plan_step(workspace, plan_path) if plan_step else (workspace.plan(plan_path, variables), {})
    context.log.info(f"{environment.name}/{component} plan: {plan.describe()}")
    review = review_plan(context, environment, component, workspace, plan)
    if plan.has_changes or extra.get("applied"):
        plan_ahead.changed(context.run.run_id, environment)
    applied = workspace.apply(plan)
    if plan.has_changes:
        context.log.info(
            f"{environment.name}/{component} applied: {applied.add} added, {applied.change} changed, "
            f"{applied.destroy} destroyed, {applied.imports} imported"
        )
    # Outputs read before an import or a plan step's own changes may predate them: read them again then.
    fresh = not imported and not extra.get("applied")
    outputs = outputs_after(workspace, plan, applied, known_outputs if fresh else None)
    return MaterializeResult(
        metadata={
            "environment": environment.name,
            "workspace": workspace.workspace,
            **review,  # what a reviewer looks for first: the plan, then the console pages
            **link_metadata(context, environment, variables, outputs),
            "applied": plan.has_changes,
            "planned_ahead": reusable is not None and not plan.has_changes,
            **plan_metadata(plan),
            **output_metadata(outputs),
            **imported,
            **extra,
        }
    )
