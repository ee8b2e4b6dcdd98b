"""`no_drift` on each `<env>/<component>`: a plan with the detailed exit code and the variables as deployed,
never applied.

The plan uses the values that are deployed (the AMI and image tag from state), so what it would change is
what changed outside Terraform, not what the next deploy would change. A plain plan, not a refresh-only one:
right after a first apply a refresh-only plan reports every attribute another resource filled in (a
security group's rules, an EIP's association, a target group's load balancers), in AWS as in moto, while a
plan reports only what differs from the configuration (decision 0033). Drift is a WARN listing the drifted resource
addresses and changed outputs; the saved plan is deleted afterwards (it holds state values).
"""

from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    MetadataValue,
    multi_asset_check,
)

from .. import naming
from ..components import app, connectors, databases
from ..deploy.step import open_workspace
from ..environments import COMPONENTS, Environment, Environments
from ..lib.terraform import Output, TerraformError, TerraformWorkspace
from ..resources import AwsResource, TerraformResource
from .deploy_runs import in_deploy_run

CHECK_NAME = "no_drift"


def check_key(environment: Environment, component: str) -> AssetCheckKey:
    return AssetCheckKey(naming.component_key(environment.name, component), CHECK_NAME)


class DeployedOutputs:
    """Each component's outputs, read from state once per check run."""

    def __init__(self, environment: Environment, terraform: TerraformResource, aws: AwsResource) -> None:
        self.environment, self.terraform, self.aws = environment, terraform, aws
        self.workspaces: dict[str, TerraformWorkspace] = {}
        self._outputs: dict[str, dict[str, Output]] = {}

    def workspace(self, component: str) -> TerraformWorkspace:
        if component not in self.workspaces:
            self.workspaces[component] = open_workspace(self.environment, component, self.terraform, self.aws)
        return self.workspaces[component]

    def __call__(self, component: str) -> dict[str, Output]:
        if component not in self._outputs:
            self._outputs[component] = self.workspace(component).outputs()
        return self._outputs[component]

    def values(self, component: str) -> dict[str, Any]:
        return {name: output.value for name, output in self(component).items()}


def deployed_variables(environment: Environment, component: str, deployed: DeployedOutputs) -> dict[str, Any]:
    """The component's variables as last deployed: upstream outputs, and its own AMI / image tag."""
    if component == "connectors":
        return connectors.variables(environment)
    upstream = deployed.values("connectors")
    if component == "databases":
        return databases.variables(environment, upstream, str(deployed("databases")["neo4j_ami_id"].value))
    db = deployed.values("databases")
    return app.variables(environment, upstream, db, str(deployed("app")["image_tag"].value))


def changed_outputs(workspace: TerraformWorkspace, plan) -> list[str]:
    shown = workspace.show_plan(plan)
    return sorted(
        name
        for name, change in (shown.get("output_changes") or {}).items()
        if change.get("actions") not in (["no-op"], None)
    )


def evaluate_component(
    context: AssetCheckExecutionContext,
    environment: Environment,
    component: str,
    terraform: TerraformResource,
    deployed: DeployedOutputs,
) -> AssetCheckResult | None:
    key = check_key(environment, component)

    def result(passed: bool, description: str, **metadata) -> AssetCheckResult:
        return AssetCheckResult(
            asset_key=key.asset_key,
            check_name=CHECK_NAME,
            passed=passed,
            severity=AssetCheckSeverity.WARN,
            description=description,
            metadata={"workspace": f"{component}_{environment.name}", **metadata},
        )

    try:
        workspace = deployed.workspace(component)
        if not workspace.exists() or not deployed(component):
            context.log.info(f"{environment.name}/{component} is not deployed: nothing can drift")
            return None
        variables = deployed_variables(environment, component, deployed)
        plan_path = terraform.plan_path(environment, component, context.run.run_id, kind="drift")
        try:
            plan = workspace.plan(plan_path, variables)
            outputs = changed_outputs(workspace, plan) if plan.has_changes else []
        finally:
            plan_path.unlink(missing_ok=True)
    except (TerraformError, RuntimeError, KeyError) as error:
        return result(False, f"cannot evaluate drift of {environment.name}/{component}: {error}")
    drifted = [
        f"{change.action}: {change.address}"
        for change in plan.changes
        if change.action not in ("noop", "read")
    ]
    metadata = {
        "drifted_addresses": MetadataValue.json(drifted),
        "changed_outputs": MetadataValue.json(outputs),
    }
    if plan.has_changes:
        return result(
            False,
            f"{environment.name}/{component} drifted: {len(drifted)} resource(s), {len(outputs)} output(s) "
            "differ from the configuration as deployed (plan, not applied)",
            **metadata,
        )
    return result(True, f"{environment.name}/{component} matches its state", **metadata)


def build_check(environment: Environment):
    specs = [
        AssetCheckSpec(
            CHECK_NAME,
            asset=check_key(environment, component).asset_key,
            blocking=False,
            description="WARN when a plan with the deployed variables finds changes made outside Terraform.",
        )
        for component in COMPONENTS
    ]

    @multi_asset_check(
        specs=specs,
        can_subset=True,
        name=f"{environment.name}__drift_checks",
        pool=naming.environment_pool(environment.name),
    )
    def drift(context: AssetCheckExecutionContext, terraform: TerraformResource, aws: AwsResource):
        if in_deploy_run(context):
            return
        deployed = DeployedOutputs(environment, terraform, aws)
        for component in COMPONENTS:
            if check_key(environment, component) in context.selected_asset_check_keys:
                evaluation = evaluate_component(context, environment, component, terraform, deployed)
                if evaluation is not None:
                    yield evaluation

    return drift


def build_checks(environments: Environments) -> list:
    return [build_check(environment) for environment in environments.values()]
