"""Definitions of the verification area: every environment's checks, and a `verify_<env>` job.

The deploy jobs select their assets, which brings these checks into every deploy; `verify_<env>` runs the
same checks alone, against what is deployed now, without touching Terraform.
"""

from dagster import AssetKey, AssetSelection, Definitions, RunRequest, define_asset_job, in_process_executor

from ..environments import COMPONENTS, Environment, Environments
from ..infrastructure.graph import ENVIRONMENT_TAG
from .checks import environment_checks


def verify_job_name(environment: str) -> str:
    return f"verify_{environment}"


def verify_job(environment: Environment):
    keys = [AssetKey([environment.name, component]) for component in COMPONENTS]
    return define_asset_job(
        name=verify_job_name(environment.name),
        selection=AssetSelection.checks_for_assets(*keys),
        executor_def=in_process_executor,
        tags={ENVIRONMENT_TAG: environment.name, "credex/kind": "verify"},
        description=(
            f"Run {environment.name}'s post-deploy checks without deploying (no Terraform, no rollback)."
        ),
    )


def verify_run_request(environments: Environments, name: str) -> RunRequest:
    """A run of `verify_<name>`; an unknown name raises UnknownEnvironmentError listing the known ones."""
    environment = environments[name]
    return RunRequest(job_name=verify_job_name(environment.name), tags={ENVIRONMENT_TAG: environment.name})


def build(environments: Environments) -> Definitions:
    verified = [env for env in environments.values() if env.verification.enabled]
    return Definitions(
        asset_checks=[check for env in verified for check in environment_checks(env)],
        jobs=[verify_job(env) for env in verified],
    )
