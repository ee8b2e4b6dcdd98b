"""The whole deploy run's config, checked by its first step before any Terraform command.

Dagster validates each op's config only against its schema when the run launches; the values (a SHA's
format, whether its image exists) are checked here, by every component step of the run against the config of
every component of the environment in the run, so a bad `git_sha` stops the run at connectors instead of
after connectors and databases were applied. Builders of run config (sensors, CLI helpers) call
`check_git_sha` before a run is even requested.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .. import naming
from ..environments import Environment

SHA = re.compile(r"^[0-9a-f]{7,40}$")


class RunConfigRefused(ValueError):
    """The run's config was refused before anything ran."""


def check_git_sha(environment: Environment, git_sha: str) -> None:
    if git_sha and not SHA.match(git_sha):
        raise RunConfigRefused(
            f"git_sha {git_sha!r} for {environment.name}/app (op {naming.op_name(environment.name, 'app')}) is "
            "not a git SHA (7-40 lower-case hex digits): refused, nothing was run"
        )


def requested_app_sha(run_config: Mapping[str, Any] | None, environment: Environment) -> str:
    ops = (run_config or {}).get("ops") or {}
    config = (ops.get(naming.op_name(environment.name, "app")) or {}).get("config") or {}
    return str(config.get("git_sha") or "") if isinstance(config, Mapping) else ""


def check_image_in_ecr(ecr: Any, environment: Environment, git_sha: str) -> None:
    """The image `<ecr repository>:<git_sha>` exists; any answer but "yes" refuses the run."""
    repository = naming.ecr_repository(environment)
    try:
        found = ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": git_sha}])
    except Exception as error:
        code = getattr(error, "response", {}).get("Error", {}).get("Code", type(error).__name__)
        raise RunConfigRefused(
            f"{environment.name}/app: image {repository}:{git_sha} could not be confirmed in ECR ({code}): "
            "push the image (credex-core's build) or give the SHA of one that is there; refused, nothing was run"
        ) from None
    if not found.get("imageDetails"):
        raise RunConfigRefused(f"{environment.name}/app: no image {repository}:{git_sha} in ECR: refused")


def check_run(run_config: Mapping[str, Any] | None, environment: Environment, ecr: Any | None) -> None:
    """Format of the app's SHA, then (for a shared-state environment, `ecr` given) its image in ECR.

    A local-state environment (tests, demos on fixture roots) has no registry to ask: its SHA is checked
    for format only.
    """
    git_sha = requested_app_sha(run_config, environment)
    check_git_sha(environment, git_sha)
    if git_sha and ecr is not None and environment.state.backend == "s3":
        check_image_in_ecr(ecr, environment, git_sha)
