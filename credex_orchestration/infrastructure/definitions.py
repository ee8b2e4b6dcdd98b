"""Definitions of the infrastructure area: the AMI assets, every environment's components and deploy job."""

from dagster import Definitions

from ..environments import Environments
from ..images import neo4j_ami
from .graph import deploy_job, environment_assets


def build(environments: Environments) -> Definitions:
    assets = [*neo4j_ami.build_assets()]
    for environment in environments.values():
        assets.extend(environment_assets(environment))
    return Definitions(assets=assets, jobs=[deploy_job(env) for env in environments.values()])
