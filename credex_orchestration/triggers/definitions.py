"""Definitions of the triggers area: sensors, scheduled checks and their jobs, for every environment."""

from dagster import Definitions

from ..environments import Environments
from . import branch_push, code_version_sensor, drift, freshness, neo4j_release, schedules
from .paths import load_component_paths, paths_file


def build(environments: Environments) -> Definitions:
    release_sensor, ami_jobs = neo4j_release.build_sensor(environments)
    check_jobs, check_schedules = schedules.build_schedules(environments)
    paths = load_component_paths(paths_file(environments))  # validated here: a bad file fails the load
    return Definitions(
        sensors=[
            *branch_push.build_sensors(environments, paths),
            *code_version_sensor.build_sensors(environments),
            release_sensor,
        ],
        asset_checks=[freshness.build_check(environments), *drift.build_checks(environments)],
        jobs=[*ami_jobs, *check_jobs],
        schedules=check_schedules,
    )
