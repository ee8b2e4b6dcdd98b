"""Definitions of the infrastructure area: every environment's components and deploy job."""

from dagster import Definitions

from ..environments import Environments
from .graph import deploy_job, environment_assets


def build(environments: Environments) -> Definitions:
    assets = []
    for environment in environments.values():
        assets.extend(environment_assets(environment))
    return Definitions(assets=assets, jobs=[deploy_job(env) for env in environments.values()])
