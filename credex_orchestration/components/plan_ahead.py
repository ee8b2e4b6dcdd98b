"""The variables each component's step would plan with, known before the step runs (deploy/plan_ahead.py).

From the outputs already in state and the run's config, as the component assets compute them. Where a
step could come to other values (a rolled-back service's live image, a fresh AMI record), the step's own
variables differ and it plans again: a guess here never decides what is deployed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..deploy.config import requested_git_sha
from ..deploy.step import read_outputs
from ..environments import Environment


def variables_ahead(context: Any, environment: Environment, component: str) -> Mapping[str, Any] | None:
    # The component modules pass this function to the deploy step: imported here, when it runs.
    from . import app, connectors, databases

    terraform = context.resources.terraform
    if component == "connectors":
        return connectors.variables(environment)
    if component == "databases":
        upstream = read_outputs(environment, "connectors", terraform, databases.READS)
        return databases.variables(environment, upstream, databases.pinned_ami(environment, context.instance))
    if component == "app":
        upstream, db, deployed = app.read_inputs(environment, terraform)
        current = deployed.get("image_tag")
        git_sha = requested_git_sha(context.run.run_config, environment.name) or ""
        tag = app.image_tag(environment, git_sha, current.value if current else None)
        return app.variables(environment, upstream, db, tag)
    return None
