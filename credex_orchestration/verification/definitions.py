"""Definitions of the verification area: every environment's checks, and a `verify_<env>` job.

The deploy jobs select their assets, which brings these checks into every deploy; `verify_<env>` runs the
same checks alone, against what is deployed now, without touching Terraform.
"""

from dagster import (
    AssetSelection,
    Definitions,
    RunRequest,
    define_asset_job,
    in_process_executor,
)

from .. import naming
from ..environments import Environment, Environments
from .checks import environment_checks
from .results import post_deploy_check_keys


def verify_job(environment: Environment):
    """Exactly the post-deploy checks (the app's run in its step without deploying or rolling back); other
    areas' checks on the same assets (drift, freshness) have their own jobs."""
    return define_asset_job(
        name=naming.verify_job(environment.name),
        selection=AssetSelection.checks(*post_deploy_check_keys(environment)),
        executor_def=in_process_executor,
        tags={naming.ENVIRONMENT_TAG: environment.name, naming.KIND_TAG: "verify"},
        description=(
            f"Run {environment.name}'s post-deploy checks without deploying (no Terraform, no rollback)."
        ),
    )


def verify_run_request(environments: Environments, name: str) -> RunRequest:
    """A run of `verify_<name>`; an unknown name raises UnknownEnvironmentError listing the known ones."""
    environment = environments[name]
    return RunRequest(
        job_name=naming.verify_job(environment.name), tags={naming.ENVIRONMENT_TAG: environment.name}
    )


def build(environments: Environments) -> Definitions:
    checks = {env.name: environment_checks(env) for env in environments.values() if env.verification.enabled}
    return Definitions(
        asset_checks=[check for env_checks in checks.values() for check in env_checks],
        jobs=[verify_job(environments[name]) for name in checks],
    )
