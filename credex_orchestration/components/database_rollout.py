"""The databases' deploy: plan, refuse destructive plans, or snapshot and replace one instance at a time.

The same one-at-a-time order applies to in-place changes that stop an instance (a new instance type or user
data): each such instance gets a targeted plan and apply and must be healthy before the next one is touched.

Flow when the plan replaces protected resources and the run allows it: snapshot every data volume
(waiting until completed), then for LedgerSpace and then SearchSpace a targeted plan (`-replace` of the
instance, `-target` of that space's resources) and apply of that space's resources followed by a health
wait (the `Neo4j-<Space>-<env>` instance running the new AMI with passing status checks), and only then the
remaining plan. On the real root, where instances and volumes have `prevent_destroy`, the plan fails instead
of listing the replacement: that failure is the guard's refusal, and an allowed replacement plans in a
run-scoped copy of the root whose override file lifts `prevent_destroy` from that one instance only
(docs/decisions/0080-replace-override.md), and its termination protection is lifted through EC2 right before
that apply (decision 0103). `databases_plan_step` is all of this as plain Python (no Dagster), the plan
step of the common deploy step.
"""

import contextlib
import shutil
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue

from .. import naming
from ..deploy.config import DatabasesDeployConfig
from ..deploy.step import PlanStep, deploy_component
from ..environments import Environment
from ..lib.terraform import PlanSummary, TerraformError, TerraformWorkspace
from ..resources import AwsResource, TerraformResource
from .database_guard import (
    is_data_volume,
    is_instance,
    is_protected,
    prevented_destroys,
    protected_changes,
    refusal,
    space_of,
    stopping_updates,
)
from .plan_ahead import variables_ahead
from .replace_override import OVERRIDE_FILE, render_override
from .volumes import ROLES, data_volumes, snapshot_volumes


class UnhealthyDatabase(RuntimeError):
    """A replaced Neo4j instance did not become healthy; the next one was not touched."""


class ReplacementNotConfirmed(RuntimeError):
    """Replacement in a protected environment without confirm_environment."""


class DataVolumeReplacementRefused(RuntimeError):
    """The plan would destroy a data volume that has prevent_destroy: the roll-out never lifts that."""


class RolloutDidNotConverge(RuntimeError):
    """After the one-at-a-time steps the remaining plan still stops or replaces an instance."""


def targeted_plan(
    workspace: TerraformWorkspace,
    plan_path: Path,
    variables: Mapping[str, Any],
    targets: list[str],
    replace: list[str] | None = None,
) -> PlanSummary:
    """A saved plan limited to `targets` (`-target`), forcing `replace` (`-replace`)."""
    return workspace.plan(plan_path, variables, targets=targets, replace=replace or ())


def plan_or_prevented(
    workspace: TerraformWorkspace, plan_path: Path, variables: Mapping[str, Any]
) -> tuple[PlanSummary | None, list[str]]:
    """The plan, or (None, addresses) when it failed only because protected resources have prevent_destroy."""
    try:
        return workspace.plan(plan_path, variables), []
    except TerraformError as error:
        prevented = prevented_destroys(error)
        if not prevented or not all(is_protected(address) for address in prevented):
            raise
        return None, prevented


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
    """The common deploy step with the databases' plan step (`databases_plan_step`)."""
    plan_step = databases_plan_step(
        environment, terraform, aws, variables, config, run_id=context.run.run_id, log=context.log.info
    )
    return deploy_component(
        context,
        environment,
        "databases",
        terraform,
        aws,
        variables,
        config,
        plan_step=plan_step,
        variables_ahead=variables_ahead,
    )


def databases_plan_step(
    environment: Environment,
    terraform: TerraformResource,
    aws: AwsResource,
    variables: Mapping[str, Any],
    config: DatabasesDeployConfig,
    *,
    run_id: str,
    log: Callable[[str], None],
) -> PlanStep:
    """The plan to apply, after refusing destructive plans or doing their one-at-a-time part itself.

    A plan that destroys or replaces protected resources is refused unless the run allows it; when allowed,
    the data volumes are snapshotted and the instances replaced one at a time. A plan that stops instances
    for an in-place change updates them one at a time. Either way what remains is planned again and
    returned (metadata `applied` says this step changed resources itself).
    """

    def plan_step(workspace: TerraformWorkspace, plan_path: Path) -> tuple[PlanSummary, dict[str, Any]]:
        first, prevented = plan_or_prevented(workspace, plan_path, variables)
        destructive = protected_changes(first) if first is not None else [_prevented(a) for a in prevented]
        extra: dict[str, Any] = {"protected_changes": MetadataValue.json(destructive)}
        if not destructive and first is not None:
            stopping = _stopping(workspace, first)
            if not stopping:
                return first, extra
            ec2 = aws.session(environment).client("ec2")
            extra.update(
                _update_in_order(environment, workspace, terraform, ec2, variables, stopping, run_id, log)
            )
            return _rest(environment, workspace, terraform, variables, run_id, destructive), {
                **extra,
                "applied": True,
            }
        if not config.allow_database_replacement:
            raise refusal(environment, destructive)
        if environment.protected and config.confirm_environment != environment.name:
            raise ReplacementNotConfirmed(
                f"{environment.name}/databases: replacing the databases of a protected environment needs "
                f"confirm_environment: {environment.name} in the run config; nothing was applied"
            )
        volumes = [address for address in prevented if is_data_volume(address)]
        if volumes:
            raise DataVolumeReplacementRefused(
                f"{environment.name}/databases: the plan would destroy data volumes protected by "
                f"prevent_destroy: {', '.join(volumes)}. The roll-out only ever replaces instances and "
                "keeps their data volumes; nothing was applied. Find what forces the volume's replacement "
                "(availability zone, encryption) or move the data by hand (docs/restore.md)."
            )
        extra.update(
            _replace_in_order(
                environment, workspace, terraform, aws, variables, first, prevented, run_id, log
            )
        )
        return _rest(environment, workspace, terraform, variables, run_id, destructive), {
            **extra,
            "applied": True,
        }

    return plan_step


def _stopping(workspace: TerraformWorkspace, plan: PlanSummary) -> list[str]:
    """Instances the plan would stop; reads the plan's attributes only when it updates an instance."""
    if not any(change.action == "update" and is_instance(change.address) for change in plan.changes):
        return []
    return stopping_updates(workspace.show_plan(plan))


def _rest(
    environment: Environment,
    workspace: TerraformWorkspace,
    terraform: TerraformResource,
    variables: Mapping[str, Any],
    run_id: str,
    destructive: list[str],
) -> PlanSummary:
    """The plan of what is left after the one-at-a-time steps: it must neither replace nor stop an instance."""
    path = terraform.plan_path(environment, "databases", run_id, "rest")
    rest, still_prevented = plan_or_prevented(workspace, path, variables)
    remaining = protected_changes(rest) if rest is not None else [_prevented(a) for a in still_prevented]
    if remaining or rest is None:
        raise refusal(environment, remaining or destructive)
    stopping = _stopping(workspace, rest)
    if stopping:
        raise RolloutDidNotConverge(
            f"{environment.name}/databases: after the one-at-a-time steps the plan still stops "
            f"{', '.join(stopping)}; nothing more was applied (did the configuration change meanwhile?)"
        )
    return rest


def _update_in_order(
    environment: Environment,
    workspace: TerraformWorkspace,
    terraform: TerraformResource,
    ec2: Any,
    variables: Mapping[str, Any],
    stopping: list[str],
    run_id: str,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Each instance whose in-place update stops it, alone (LedgerSpace first), healthy before the next."""
    order: list[dict[str, Any]] = []
    for role in ROLES:
        instance = next((address for address in stopping if space_of(address) == role), None)
        if instance is None:
            continue
        path = terraform.plan_path(environment, "databases", run_id, f"update-{role.lower()}")
        step = targeted_plan(workspace, path, variables, [instance])
        unexpected = protected_changes(step)
        if unexpected:
            raise refusal(environment, unexpected)
        log(f"{environment.name}/databases updating {role} alone (it stops): {', '.join(step.addresses())}")
        workspace.apply(step)
        instance_id = wait_healthy(ec2, environment, role, str(variables["ami_id"]), log)
        order.append({"role": role, "addresses": step.addresses(), "healthy_instance": instance_id})
    return {"update_order": MetadataValue.json(order)}


def _instance_id(ec2: Any, environment: Environment, role: str) -> str | None:
    reservations = ec2.describe_instances(
        Filters=[
            {"Name": "tag:Name", "Values": [naming.neo4j_instance(environment, role)]},
            {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]},
        ]
    )["Reservations"]
    ids = [instance["InstanceId"] for reservation in reservations for instance in reservation["Instances"]]
    return ids[0] if ids else None


def _set_termination_protection(ec2: Any, instance_id: str, protected: bool) -> None:
    ec2.modify_instance_attribute(InstanceId=instance_id, DisableApiTermination={"Value": protected})


def _prevented(address: str) -> str:
    return f"replace or destroy (prevent_destroy): {address}"


def _replace_in_order(
    environment: Environment,
    workspace: TerraformWorkspace,
    terraform: TerraformResource,
    aws: AwsResource,
    variables: Mapping[str, Any],
    plan: PlanSummary | None,
    prevented: list[str],
    run_id: str,
    log: Callable[[str], None],
) -> dict[str, Any]:
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
        run_id=run_id,
        purpose="pre-replacement",
        timeout_seconds=backups.snapshot_timeout_seconds,
        poll_seconds=backups.poll_interval_seconds,
        log=log,
    )
    changes = plan.changes if plan is not None else []
    replaced_instances = {c.address for c in changes if c.action == "replace" and is_instance(c.address)}
    replaced_instances |= {address for address in prevented if is_instance(address)}
    in_state = [address for address in workspace.state_list() if not address.startswith("data.")]
    order: list[dict[str, Any]] = []
    for role in ROLES:
        planned = {c.address for c in changes if c.action != "noop" and space_of(c.address) == role}
        instance = next((a for a in sorted(replaced_instances) if space_of(a) == role), None)
        if not planned and instance is None:
            continue
        # The instance's dependents (its volume attachment) are replaced with it; `-target` alone would
        # leave them out, so every resource of the space is targeted.
        targets = sorted(planned | ({a for a in in_state if space_of(a) == role} if instance else set()))
        run_dir = terraform.work_path / "runs" / environment.name / "databases" / f"{run_id}-{role}"
        path = run_dir / f"replace-{role.lower()}.tfplan"  # a saved plan embeds the override: same lifetime
        try:
            scoped = (
                workspace.with_extra_files({OVERRIDE_FILE: render_override(instance)}, run_dir)
                if instance
                else workspace
            )
            try:
                step = targeted_plan(scoped, path, variables, targets, [instance] if instance else [])
            except TerraformError as error:
                blocked = prevented_destroys(error)  # e.g. a data volume the step would destroy
                if not blocked:
                    raise
                raise DataVolumeReplacementRefused(
                    f"{environment.name}/databases: replacing {role} would also destroy {', '.join(blocked)} "
                    "(prevent_destroy stays on everything but the one instance); nothing was applied for "
                    f"{role}. Data volumes are never replaced by the roll-out (docs/restore.md)."
                ) from None
            allowed = planned | ({instance} if instance else set())
            unexpected = [c for c in protected_changes(step) if c.split(": ", 1)[1] not in allowed]
            if unexpected:
                raise refusal(environment, unexpected)
            log(f"{environment.name}/databases replacing {role}: {', '.join(step.addresses())}")
            # Termination protection is lifted for this one instance just before it is replaced (provider
            # 5.x would lift it itself, 6.x refuses to; this way neither matters), and put back if the apply
            # fails while the instance still exists.
            old_id = _instance_id(ec2, environment, role) if instance else None
            if old_id:
                _set_termination_protection(ec2, old_id, False)
            try:
                scoped.apply(step)
            except BaseException:
                if old_id:
                    with contextlib.suppress(ClientError):
                        _set_termination_protection(ec2, old_id, True)
                raise
        finally:
            shutil.rmtree(run_dir, ignore_errors=True)  # the override never outlives its one apply
        instance_id = wait_healthy(ec2, environment, role, str(variables["ami_id"]), log)
        order.append({"role": role, "addresses": step.addresses(), "healthy_instance": instance_id})
    return {
        "snapshots": MetadataValue.json([s.__dict__ for s in snapshots]),
        "replacement_order": MetadataValue.json(order),
    }
