"""What a deployer reviews on a component's materialisation: the plan's attribute diff, console links.

The diff is built from `terraform show -json` of the saved plan before it is applied, logged in the run
and kept as markdown metadata `plan`; the links are URL metadata from the component's values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import AssetExecutionContext, MetadataValue

from ..environments import Environment
from ..lib.console_links import console_links
from ..lib.plan_view import plan_markdown, sensitive_values
from ..lib.terraform import Output, PlanSummary, TerraformError, TerraformWorkspace


def review_plan(
    context: AssetExecutionContext,
    environment: Environment,
    component: str,
    workspace: TerraformWorkspace,
    plan: PlanSummary,
) -> dict[str, Any]:
    """The plan as markdown (metadata `plan`), also written to the run log; nothing for a plan without changes."""
    if not plan.has_changes or not plan.plan_path.exists():
        return {}  # nothing to review; or a roll-out step applied its own plans and removed them
    try:
        shown = workspace.show_plan(plan)
    except TerraformError as error:
        # The review is for people; it never stops a deploy that Terraform itself can apply.
        context.log.warning(f"{environment.name}/{component}: the plan could not be shown: {error}")
        return {}
    workspace.redact.add(sensitive_values(shown))
    markdown = plan_markdown(shown, workspace.redact, title=f"{environment.name}/{component} plan")
    context.log.info(markdown)
    return {"plan": MetadataValue.md(markdown)}


def link_metadata(
    context: AssetExecutionContext,
    environment: Environment,
    variables: Mapping[str, Any],
    outputs: Mapping[str, Output],
) -> dict[str, Any]:
    """Console pages of what the component deployed (its outputs, then the values it was given)."""
    values = {**variables, **{name: o.value for name, o in outputs.items() if not o.sensitive}}
    record = context.instance.get_run_record_by_id(context.run.run_id)
    started = record.start_time if record and record.start_time else None
    started_ms = int(started * 1000) if started else None
    links = console_links(environment.aws.region, values, started_ms)
    return {name: MetadataValue.url(url) for name, url in links.items()}
