"""Definitions of the maintenance area: cleanup and unlock jobs per environment, checks, a daily schedule."""

from dagster import (
    AssetSelection,
    Definitions,
    ScheduleDefinition,
    define_asset_job,
    in_process_executor,
)

from .. import naming
from ..environments import Environments
from .checks import (
    access_key_rotation_check,
    covers_terraform_types,
    external_assets,
    policy_current,
)
from .jobs import cleanup_job, unlock_job


def build(environments: Environments) -> Definitions:
    envs = list(environments.values())
    rotation = [access_key_rotation_check(env) for env in envs]
    checks = [covers_terraform_types, policy_current, *rotation]
    maintenance_checks = define_asset_job(
        name="maintenance_checks",
        selection=AssetSelection.checks(*checks),
        tags={naming.KIND_TAG: "maintenance"},
        executor_def=in_process_executor,
        description="The deploy policy against terraform/, and the age of every deploy user's access keys.",
    )
    return Definitions(
        assets=external_assets(environments),
        asset_checks=checks,
        jobs=[
            maintenance_checks,
            *(cleanup_job(env, environments) for env in envs),
            *(unlock_job(env) for env in envs),
        ],
        schedules=[
            ScheduleDefinition(job=maintenance_checks, cron_schedule="0 6 * * *", name="maintenance_daily")
        ],
    )
