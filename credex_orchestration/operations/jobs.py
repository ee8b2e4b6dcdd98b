"""Maintenance jobs per environment: `cleanup_<env>` (dry run unless asked) and `unlock_<env>`."""

import getpass
from datetime import UTC, datetime, timedelta

from dagster import (
    AssetObservation,
    Config,
    DagsterInstance,
    MetadataValue,
    OpExecutionContext,
    Output,
    TableColumn,
    TableRecord,
    TableSchema,
    in_process_executor,
    job,
    op,
)
from pydantic import Field

from .. import naming
from ..deploy.writers import check_single_writer
from ..environments import COMPONENTS, Environment, Environments
from ..resources import AwsResource, TerraformResource
from .cleanup import CleanupReport, run_cleanup
from .state_lock import force_unlock_if_stale

_COLUMNS = ("type", "id", "name", "tags", "age_days", "status")


class CleanupConfig(Config):
    run_cleanup: bool = Field(False, description="Delete the orphans; off: a dry run that only reports them.")
    confirm_environment: str = Field(
        "", description="Production only: type the environment's name to delete."
    )
    retry_attempts: int = Field(
        5, ge=1, le=20, description="Attempts per deletion (dependencies clear in between)."
    )
    retry_delay_seconds: float = Field(5.0, ge=0, le=300)
    min_age_minutes: float = Field(
        60,
        ge=0,
        description=(
            "Keep orphans younger than this (or, when AWS gives no creation time, first seen orphaned less than "
            "this long ago): an apply that failed may have created them without saving them to state. "
            "0 turns the wait off (resources you know are orphans)."
        ),
    )


class UnlockConfig(Config):
    component: str = Field(description="connectors, databases or app: whose workspace lock to release.")
    reason: str = Field(description="Why the lock is released; recorded with the unlock.")
    min_age_minutes: float = Field(60, ge=0, description="Refuse a lock younger than this.")
    expected_lock_id: str = Field("", description="When set, refuse unless the current lock has this ID.")


ORPHANS_SEEN = "orphans_seen"


def first_seen_orphaned(instance: DagsterInstance, environment: str) -> dict[str, datetime]:
    """When earlier cleanups of the environment first reported each resource (by ARN) as an orphan."""
    seen: dict[str, datetime] = {}
    for record in instance.fetch_observations(naming.orphans_key(environment), limit=500).records:
        observation = record.asset_observation
        if observation is None or ORPHANS_SEEN not in observation.metadata:
            continue
        at = datetime.fromtimestamp(record.timestamp, UTC)
        for arn in observation.metadata[ORPHANS_SEEN].value or []:
            seen[arn] = min(seen.get(arn, at), at)
    return seen


def report_metadata(report: CleanupReport) -> dict:
    """The orphan table (type, id, name, tags, age) and what happened to each."""
    schema = TableSchema(columns=[TableColumn(name) for name in _COLUMNS])
    records = [TableRecord({k: str(row[k]) for k in _COLUMNS}) for row in report.rows()]
    return {
        "environment": report.environment,
        "dry_run": report.dry_run,
        "orphans": len(report.orphans),
        "kept": len(report.protected),
        "deleted": MetadataValue.json([f"{c.kind} {c.resource_id} ({c.name})" for c in report.deleted]),
        "failed": MetadataValue.json([f"{c.kind} {c.resource_id}: {why}" for c, why in report.failed]),
        "resources": MetadataValue.table(records, schema),
    }


def cleanup_job(environment: Environment, environments: Environments):
    @op(
        name=naming.op_name(environment.name, "cleanup"),
        tags={naming.KIND_TAG: "cleanup"},
        pool=naming.environment_pool(environment.name),
    )
    def cleanup(
        context: OpExecutionContext, config: CleanupConfig, aws: AwsResource, terraform: TerraformResource
    ) -> Output[dict]:
        check_single_writer(context.instance, environment, naming.cleanup_job(environment.name))
        report = run_cleanup(
            aws.session(environment),
            terraform,
            environment,
            environments,
            delete=config.run_cleanup,
            min_age=timedelta(minutes=config.min_age_minutes),
            first_seen=first_seen_orphaned(context.instance, environment.name),
            run_tags=dict(context.run.tags),
            confirmation=config.confirm_environment,
            attempts=config.retry_attempts,
            retry_delay_seconds=config.retry_delay_seconds,
            log=context.log.info,
        )
        seen = sorted({c.arn for c in report.orphans} | {c.arn for c, _ in report.protected})
        context.log_event(
            AssetObservation(
                asset_key=naming.orphans_key(environment.name),
                metadata={ORPHANS_SEEN: MetadataValue.json(seen)},
            )
        )
        if report.failed:
            raise RuntimeError(
                f"cleanup of {environment.name}: {len(report.failed)} deletion(s) failed after retries: "
                + "; ".join(f"{c.kind} {c.resource_id}: {why}" for c, why in report.failed)
            )
        summary = {"orphans": len(report.orphans), "deleted": len(report.deleted), "dry_run": report.dry_run}
        return Output(summary, metadata=report_metadata(report))

    @job(
        name=naming.cleanup_job(environment.name),
        tags={naming.KIND_TAG: "cleanup", naming.ENVIRONMENT_TAG: environment.name},
        executor_def=in_process_executor,
        description=(
            f"Report {environment.name}'s orphaned resources (tagged for it, in none of its states); deletes them "
            "only with run_cleanup on. Never another environment's, untagged ones, state buckets or lock tables."
        ),
    )
    def cleanup_graph():
        cleanup()

    return cleanup_graph


def unlock_job(environment: Environment):
    @op(
        name=naming.op_name(environment.name, "unlock"),
        tags={naming.KIND_TAG: "unlock"},
        pool=naming.environment_pool(environment.name),
    )
    def unlock(
        context: OpExecutionContext, config: UnlockConfig, terraform: TerraformResource
    ) -> Output[bool]:
        check_single_writer(context.instance, environment, naming.unlock_job(environment.name))
        if config.component not in COMPONENTS:
            raise ValueError(f"unknown component {config.component!r} (one of: {', '.join(COMPONENTS)})")
        who = context.run.tags.get("dagster/user") or getpass.getuser()
        record = force_unlock_if_stale(
            terraform.workspace(environment, config.component, log=context.log.info),
            context.instance,
            environment.name,
            min_age=timedelta(minutes=config.min_age_minutes),
            reason=config.reason,
            unlocked_by=f"{who} (run {context.run.run_id})",
            expected_lock_id=config.expected_lock_id,
            exclude_run_id=context.run.run_id,
        )
        lock = record.lock
        message = (
            f"force-unlocked {record.workspace}: lock {lock.lock_id} of {lock.who} since {lock.created} "
            f"({record.age_minutes} min old); by {record.unlocked_by}; reason: {record.reason}"
            if record.unlocked and lock
            else f"{record.workspace}: {record.reason}; nothing unlocked"
        )
        context.log.warning(message) if record.unlocked else context.log.info(message)
        metadata = {
            "workspace": record.workspace,
            "unlocked": record.unlocked,
            "unlocked_by": record.unlocked_by,
            "reason": record.reason,
        }
        if lock:
            metadata.update(
                lock_id=lock.lock_id,
                lock_who=lock.who,
                lock_created=lock.created,
                lock_age_minutes=record.age_minutes,
            )
        return Output(record.unlocked, metadata=metadata)

    @job(
        name=naming.unlock_job(environment.name),
        tags={naming.KIND_TAG: "unlock", naming.ENVIRONMENT_TAG: environment.name},
        executor_def=in_process_executor,
        description=(
            f"Force-unlock a Terraform state lock of {environment.name}: only a lock older than the threshold, "
            "while no run of the environment is running; records who, what and why."
        ),
    )
    def unlock_graph():
        unlock()

    return unlock_graph
