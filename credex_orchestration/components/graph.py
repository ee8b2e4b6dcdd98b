"""The per-environment factory: `<env>/connectors` -> `<env>/databases` -> `<env>/app` and `deploy_<env>`."""

from __future__ import annotations

from dagster import AssetKey, AssetsDefinition, AssetSelection, define_asset_job, in_process_executor

from ..environments import COMPONENTS, Environment
from ..triggers.deploy_runs import without_scheduled_checks
from . import app, connectors, databases

ENVIRONMENT_TAG = "credex/environment"
_BUILDERS = {"connectors": connectors.build_asset, "databases": databases.build_asset, "app": app.build_asset}


def component_key(environment: str, component: str) -> AssetKey:
    return AssetKey([environment, component])


def environment_assets(environment: Environment) -> list[AssetsDefinition]:
    return [_BUILDERS[component](environment) for component in COMPONENTS]


def deploy_job(environment: Environment):
    """Materialises one environment's components in order, in one process.

    Components of one environment run strictly in sequence, so a process per step would only add start-up
    time (docs/decisions/0002-in-process-deploys.md). The environment tag lets the run queue allow one
    deploy per environment at a time.
    """
    return define_asset_job(
        name=f"deploy_{environment.name}",
        selection=without_scheduled_checks(
            AssetSelection.assets(*(component_key(environment.name, c) for c in COMPONENTS))
        ),
        executor_def=in_process_executor,
        tags={ENVIRONMENT_TAG: environment.name, "credex/kind": "deploy"},
        description=f"Deploy {environment.name}: connectors, databases, app, and their checks.",
    )
