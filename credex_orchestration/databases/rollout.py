"""The databases' deploy: plan, refuse destructive plans, or snapshot and replace one instance at a time.

Flow when the plan replaces protected resources and the run allows it: snapshot every data volume
(waiting until completed), then for LedgerSpace and then SearchSpace a targeted plan and apply of that
space's resources followed by a health wait (the `Neo4j-<Space>-<env>` instance running the new AMI with
passing status checks), and only then the remaining plan.
"""

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue

from .. import naming
from ..environments import Environment
from ..infrastructure.config import DatabasesDeployConfig
from ..infrastructure.terraform_step import open_workspace, output_metadata, plan_metadata
from ..lib.terraform import PlanSummary, TerraformWorkspace, _summarise_plan
from ..resources import AwsResource, TerraformResource
from .guard import protected_changes, refusal, space_of
from .volumes import ROLES, data_volumes, snapshot_volumes


class UnhealthyDatabase(RuntimeError):
    """A replaced Neo4j instance did not become healthy; the next one was not touched."""


class ReplacementNotConfirmed(RuntimeError):
    """Production replacement without confirm_environment."""


def targeted_plan(
    workspace: TerraformWorkspace, plan_path: Path, variables: Mapping[str, Any], targets: list[str]
) -> PlanSummary:
    """A saved plan limited to `targets` (`-target`), variables through the engine's private var file."""
    workspace.prepare()
    plan_path = Path(plan_path).resolve()
    plan_path.parent.mkdir(parents=True, exist_ok=True)
    with workspace._var_file(variables) as var_args:
        result = workspace.run(
            "plan",
            "-input=false",
            "-no-color",
            "-json",
            "-detailed-exitcode",
            f"-lock-timeout={workspace.lock_timeout_seconds}s",
            f"-out={plan_path}",
            *(f"-target={target}" for target in targets),
            *var_args,
            json_lines=True,
            allow=(0, 2),
        )
    return _summarise_plan(plan_path, result)


def wait_healthy(
    ec2: Any,
    environment: Environment,
    role: str,
    ami_id: str,
    log: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Wait for `Neo4j-<role>-<env>` to run `ami_id` with passing status checks; its instance id."""
    name = naming.neo4j_instance(environment, role)
    settings = environment.database_rollout
    started = time.monotonic()
    while True:
        reservations = ec2.describe_instances(
            Filters=[
                {"Name": "tag:Name", "Values": [name]},
                {"Name": "instance-state-name", "Values": ["pending", "running"]},
            ]
        )["Reservations"]
        instances = [i for r in reservations for i in r["Instances"] if i.get("ImageId") == ami_id]
        running = [i["InstanceId"] for i in instances if i["State"]["Name"] == "running"]
        if running:
            statuses = ec2.describe_instance_status(InstanceIds=running)["InstanceStatuses"]
            healthy = [
                s["InstanceId"]
                for s in statuses
                if s["InstanceStatus"]["Status"] == "ok" and s["SystemStatus"]["Status"] == "ok"
            ]
            if healthy:
                log(f"{name} ({healthy[0]}) is healthy on {ami_id}")
                return healthy[0]
        elapsed = time.monotonic() - started
        if elapsed >= settings.health_timeout_seconds:
            raise UnhealthyDatabase(
                f"{name} did not become healthy on {ami_id} within {settings.health_timeout_seconds:.0f}s "
                f"(instances: {[i['InstanceId'] for i in instances] or 'none'}); the next instance was not "
                "replaced: restore or fix it before re-running (docs/restore.md)"
            )
        log(f"waiting for {name} on {ami_id}: {elapsed:.0f}s")
        sleep(settings.poll_interval_seconds)


def deploy_databases(
    context: AssetExecutionContext,
    environment: Environment,
    terraform: TerraformResource,
    aws: AwsResource,
    variables: Mapping[str, Any],
    config: DatabasesDeployConfig,
) -> MaterializeResult:
    """Plan; apply when nothing protected is destroyed; else refuse, or snapshot and replace in order."""
    log = context.log.info
    workspace = open_workspace(environment, "databases", terraform, aws)
    workspace.prepare()
    plan = workspace.plan(terraform.plan_path(environment, "databases", context.run_id), variables)
    log(f"{environment.name}/databases plan: {plan.describe()}")
    destructive = protected_changes(plan)
    extra: dict[str, Any] = {"protected_changes": MetadataValue.json(destructive)}
    if destructive:
        if not config.allow_database_replacement:
            raise refusal(environment, destructive)
        if environment.is_production and config.confirm_environment != environment.name:
            raise ReplacementNotConfirmed(
                f"{environment.name}/databases: replacing production databases needs "
                f"confirm_environment: {environment.name} in the run config; nothing was applied"
            )
        extra.update(_replace_in_order(context, environment, workspace, terraform, aws, variables, plan))
        plan = workspace.plan(
            terraform.plan_path(environment, "databases", context.run_id, "rest"), variables
        )
        remaining = protected_changes(plan)
        if remaining:
            raise refusal(environment, remaining)
    applied = workspace.apply(plan)
    if plan.has_changes:
        log(
            f"{environment.name}/databases applied: {applied.add} added, {applied.change} changed, "
            f"{applied.destroy} destroyed"
        )
    return MaterializeResult(
        metadata={
            "environment": environment.name,
            "workspace": workspace.workspace,
            "applied": plan.has_changes or bool(destructive),
            **plan_metadata(plan),
            **output_metadata(workspace.outputs()),
            **extra,
        }
    )


def _replace_in_order(
    context: AssetExecutionContext,
    environment: Environment,
    workspace: TerraformWorkspace,
    terraform: TerraformResource,
    aws: AwsResource,
    variables: Mapping[str, Any],
    plan: PlanSummary,
) -> dict[str, Any]:
    log = context.log.info
    ec2 = aws.session(environment).client("ec2")
    volumes = data_volumes(ec2, environment)
    missing = set(ROLES) - {volume.role for volume in volumes}
    if missing:
        raise RuntimeError(
            f"{environment.name}/databases: no data volume tagged Environment={environment.name}, "
            f"Role={'/'.join(sorted(missing))} to snapshot before the replacement; nothing was applied"
        )
    backups = environment.backups
    snapshots = snapshot_volumes(
        ec2,
        environment,
        volumes,
        run_id=context.run_id,
        purpose="pre-replacement",
        timeout_seconds=backups.snapshot_timeout_seconds,
        poll_seconds=backups.poll_interval_seconds,
        log=log,
    )
    order: list[dict[str, Any]] = []
    for role in ROLES:
        targets = sorted(
            {c.address for c in plan.changes if c.action != "noop" and space_of(c.address) == role}
        )
        if not targets:
            continue
        path = terraform.plan_path(environment, "databases", context.run_id, f"replace-{role.lower()}")
        step = targeted_plan(workspace, path, variables, targets)
        log(f"{environment.name}/databases replacing {role}: {', '.join(step.addresses())}")
        workspace.apply(step)
        instance_id = wait_healthy(ec2, environment, role, str(variables["ami_id"]), log)
        order.append({"role": role, "addresses": step.addresses(), "healthy_instance": instance_id})
    return {
        "snapshots": MetadataValue.json([s.__dict__ for s in snapshots]),
        "replacement_order": MetadataValue.json(order),
    }
