"""The per-environment factory: `<env>/connectors` -> `<env>/databases` -> `<env>/app` and `deploy_<env>`."""

from __future__ import annotations

from dagster import AssetsDefinition, AssetSelection, define_asset_job, in_process_executor

from .. import naming
from ..environments import COMPONENTS, Environment
from ..verification.results import post_deploy_check_keys
from . import app, connectors, databases

_BUILDERS = {"connectors": connectors.build_asset, "databases": databases.build_asset, "app": app.build_asset}


def environment_assets(environment: Environment) -> list[AssetsDefinition]:
    return [_BUILDERS[component](environment) for component in COMPONENTS]


def deploy_job(environment: Environment):
    """Materialises one environment's components in order, in one process.

    Components of one environment run strictly in sequence, so a process per step would only add start-up
    time (docs/decisions/0002-in-process-deploys.md). The environment tag lets the run queue allow one
    deploy per environment at a time.
    """
    return define_asset_job(
        name=naming.deploy_job(environment.name),
        selection=AssetSelection.assets(
            *(naming.component_key(environment.name, c) for c in COMPONENTS)
        ).without_checks()
        | AssetSelection.checks(*post_deploy_check_keys(environment)),
        executor_def=in_process_executor,
        tags={naming.ENVIRONMENT_TAG: environment.name, naming.KIND_TAG: "deploy"},
        description=f"Deploy {environment.name}: connectors, databases, app, and their checks.",
    )
