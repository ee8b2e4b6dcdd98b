"""Definitions of the verification area: every environment's checks, and a `verify_<env>` job.

The deploy jobs select their assets, which brings these checks into every deploy; `verify_<env>` runs the
same checks alone, against what is deployed now, without touching Terraform.
"""

from dagster import (
    AssetChecksDefinition,
    AssetSelection,
    Definitions,
    RunRequest,
    define_asset_job,
    in_process_executor,
)

from .. import naming
from ..environments import Environment, Environments
from .checks import environment_checks


def verify_job(environment: Environment, checks: list[AssetChecksDefinition]):
    """Exactly the post-deploy checks: other areas' checks on the same assets (drift, freshness, cleanup)
    have their own jobs."""
    keys = [key for check in checks for key in check.check_keys]
    return define_asset_job(
        name=naming.verify_job(environment.name),
        selection=AssetSelection.checks(*keys),
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
        jobs=[verify_job(environments[name], env_checks) for name, env_checks in checks.items()],
    )
