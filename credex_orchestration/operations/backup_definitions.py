"""Definitions of the databases area: `<env>/database_backups`, its freshness check, jobs and schedules."""

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    DefaultScheduleStatus,
    Definitions,
    MaterializeResult,
    MetadataValue,
    ScheduleDefinition,
    asset,
    asset_check,
    define_asset_job,
    in_process_executor,
)

from .. import naming
from ..automation import schedule_status
from ..components.volumes import data_volumes, snapshot_volumes
from ..environments import Environment, Environments
from ..resources import AwsResource
from .backups import BACKUP_PURPOSE, apply_backup_retention, freshness

FRESHNESS_CHECK = "backup_freshness"


def backup_key(environment: Environment) -> AssetKey:
    return naming.backups_key(environment.name)


def build_backup_asset(environment: Environment):
    @asset(
        key=backup_key(environment),
        deps=[naming.component_key(environment.name, "databases")],
        group_name=environment.name,
        kinds={"aws", "neo4j"},
        tags={naming.COMPONENT_TAG: "backups"},
        pool=naming.environment_pool(environment.name),
        description=f"Daily EBS snapshots of the Neo4j data volumes of {environment.name}.",
    )
    def database_backups(context: AssetExecutionContext, aws: AwsResource) -> MaterializeResult:
        ec2 = aws.session(environment).client("ec2")
        volumes = data_volumes(ec2, environment)
        if not volumes:
            raise RuntimeError(
                f"{environment.name}: no Neo4j data volume tagged Environment={environment.name} and "
                "Role=LedgerSpace/SearchSpace to back up"
            )
        snapshots = snapshot_volumes(
            ec2,
            environment,
            volumes,
            run_id=context.run.run_id,
            purpose=BACKUP_PURPOSE,
            timeout_seconds=environment.backups.snapshot_timeout_seconds,
            poll_seconds=environment.backups.poll_interval_seconds,
            log=context.log.info,
        )
        deleted = apply_backup_retention(ec2, environment, log=context.log.info)
        return MaterializeResult(
            metadata={
                "snapshots": MetadataValue.json([s.__dict__ for s in snapshots]),
                "deleted_snapshots": MetadataValue.json(deleted),
            }
        )

    @asset_check(asset=backup_key(environment), name=FRESHNESS_CHECK, description="Newest backup is recent.")
    def backup_freshness(context: AssetCheckExecutionContext, aws: AwsResource) -> AssetCheckResult:
        result = freshness(aws.session(environment).client("ec2"), environment)
        return AssetCheckResult(
            passed=result.passed,
            severity=AssetCheckSeverity.ERROR,
            description=result.detail,
            metadata={"newest": MetadataValue.json(result.newest)},
        )

    return database_backups, backup_freshness


def build(environments: Environments) -> Definitions:
    assets, checks, jobs, schedules = [], [], [], []
    for environment in environments.values():
        backup, check = build_backup_asset(environment)
        assets.append(backup)
        checks.append(check)
        tags = {naming.ENVIRONMENT_TAG: environment.name, naming.KIND_TAG: "backup"}
        job = define_asset_job(
            naming.backup_job(environment.name),
            selection=AssetSelection.assets(backup_key(environment)),
            tags=tags,
            executor_def=in_process_executor,
        )
        check_job = define_asset_job(
            f"backup_freshness_{environment.name}",
            selection=AssetSelection.checks_for_assets(backup_key(environment)),
            tags=tags,
            executor_def=in_process_executor,
        )
        jobs += [job, check_job]
        status = (
            schedule_status(environment) if environment.backups.enabled else DefaultScheduleStatus.STOPPED
        )
        schedules += [
            ScheduleDefinition(job=job, cron_schedule=environment.backups.cron, default_status=status),
            ScheduleDefinition(job=check_job, cron_schedule="0 */6 * * *", default_status=status),
        ]
    return Definitions(assets=assets, asset_checks=checks, jobs=jobs, schedules=schedules)
