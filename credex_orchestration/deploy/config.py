"""Run config of a deploy, and the helper that builds it for sensors, the CLI and tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from dagster import Config
from pydantic import Field

from .. import naming
from ..environments import COMPONENTS, Environment


class DeployConfig(Config):
    """Options of one component's deploy. Manual runs default to the seeds' manual defaults (off).

    Deleting orphaned resources is its own job (`cleanup_<env>`), run after a deploy, never a deploy option.
    """

    use_existing_resources: bool = Field(
        default=False,
        description=(
            "Find resources that already exist in AWS under this environment's names and import them into "
            "the Terraform state before planning. Sensor-triggered deploys turn this on."
        ),
    )
    confirm_environment: str = Field(
        default="",
        description="Type the environment's name to confirm a production deploy requested by hand.",
    )
    override_promotion: str = Field(
        default="",
        description=(
            "Only for an environment with promote_from: the reason to deploy what that environment never "
            "verified (an image or Terraform root). Never set by sensors."
        ),
    )


class AppDeployConfig(DeployConfig):
    """The app's deploy also names the container image to run."""

    git_sha: str = Field(
        default="",
        description=(
            "credex-core git SHA to deploy (the image tag in ECR). Empty keeps the image currently deployed."
        ),
    )


class DatabasesDeployConfig(DeployConfig):
    """The databases' deploy refuses to replace a Neo4j instance or data volume unless this allows it."""

    allow_database_replacement: bool = Field(
        default=False,
        description=(
            "Allow a plan that destroys or replaces a Neo4j instance or data volume. The data volumes are "
            "snapshotted first, then LedgerSpace and SearchSpace are replaced one at a time."
        ),
    )


op_name = naming.op_name


def deploy_run_config(
    environment: Environment,
    components: Iterable[str] = COMPONENTS,
    *,
    git_sha: str = "",
    use_existing_resources: bool = False,
    confirm_environment: str = "",
) -> dict[str, Any]:
    """Run config for a deploy of `components` of `environment`; a malformed `git_sha` is refused here."""
    from .preflight import check_git_sha

    check_git_sha(environment, git_sha)
    ops: dict[str, Any] = {}
    for component in components:
        config: dict[str, Any] = {
            "use_existing_resources": use_existing_resources,
            "confirm_environment": confirm_environment,
        }
        if component == "app":
            config["git_sha"] = git_sha
        ops[op_name(environment.name, component)] = {"config": config}
    return {"ops": ops}


def requested_git_sha(run_config: Mapping[str, Any] | None, environment: str) -> str | None:
    """The app's `git_sha` of a deploy run's config, read through `AppDeployConfig` (for code outside the run,
    such as the failure notification, which only has the stored run); None when the run gave none."""
    ops = (run_config or {}).get("ops", {})
    raw = ops.get(op_name(environment, "app"), {}).get("config") if isinstance(ops, Mapping) else None
    if not isinstance(raw, Mapping):
        return None
    try:
        return AppDeployConfig.model_validate(dict(raw)).git_sha or None
    except ValueError:
        return None


def with_notice(environment: Environment, description: str) -> str:
    """An asset's description, followed by the environment's notice (the rehearsal names itself there)."""
    return f"{description}\n\n{environment.notice}" if environment.notice else description
