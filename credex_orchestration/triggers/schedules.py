"""Checks-only jobs and their schedules: daily AMI freshness, nightly drift.

Both run well clear of credex-core's DCO job at 00:00 UTC (the old system wanted production work after it,
never during it) and are read-only: no apply, no state written.
"""

from dagster import AssetSelection, ScheduleDefinition, define_asset_job, in_process_executor

from .. import naming
from ..environments import COMPONENTS, Environments
from . import drift, freshness

AMI_FRESHNESS_CRON = "0 6 * * *"  # 06:00 UTC daily
DRIFT_CRON = "30 2 * * *"  # 02:30 UTC nightly


def ami_freshness_job(environments: Environments):
    return define_asset_job(
        name="ami_freshness_checks",
        selection=AssetSelection.checks(*(freshness.check_key(env) for env in environments.values())),
        executor_def=in_process_executor,
        tags={naming.KIND_TAG: "check"},
        description="Is every environment's Neo4j AMI the newest release on its track? (read-only)",
    )


def drift_job(environments: Environments):
    return define_asset_job(
        name="drift_checks",
        selection=AssetSelection.checks(
            *(drift.check_key(env, component) for env in environments.values() for component in COMPONENTS)
        ),
        executor_def=in_process_executor,
        tags={naming.KIND_TAG: "check"},
        description="Refresh-only plans of every environment and component; never applies.",
    )


def build_schedules(environments: Environments) -> tuple[list, list[ScheduleDefinition]]:
    jobs = [ami_freshness_job(environments), drift_job(environments)]
    schedules = [
        ScheduleDefinition(
            name="ami_freshness_daily",
            job=jobs[0],
            cron_schedule=AMI_FRESHNESS_CRON,
            execution_timezone="UTC",
            description="Daily at 06:00 UTC (after the 00:00 UTC DCO job).",
        ),
        ScheduleDefinition(
            name="drift_nightly",
            job=jobs[1],
            cron_schedule=DRIFT_CRON,
            execution_timezone="UTC",
            description="Nightly at 02:30 UTC (after the 00:00 UTC DCO job).",
        ),
    ]
    return jobs, schedules
