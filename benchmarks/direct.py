"""The deploy without Dagster: the same Terraform and AWS calls as `deploy_<env>`, in sequence, as a script.

The baseline of the overhead benchmark. It uses the engine (`TerraformResource`/`TerraformWorkspace`) and
each component's `variables()` builder as the assets do, so the only difference is the orchestration.
Usage: python -m benchmarks.direct ENVIRONMENT [--git-sha SHA] [--plans-only]
"""

from __future__ import annotations

import argparse
import os
import uuid

from credex_orchestration.environments import Environment, load_environments
from credex_orchestration.infrastructure import app, connectors, databases
from credex_orchestration.infrastructure.terraform_step import open_workspace, outputs_after, read_outputs
from credex_orchestration.resources import AwsResource, TerraformResource


def deploy(
    environment: Environment,
    terraform: TerraformResource,
    aws: AwsResource,
    git_sha: str,
    plans_only: bool,
) -> None:
    run_id = uuid.uuid4().hex

    def component(name: str, variables: dict, known: dict | None = None) -> None:
        workspace = open_workspace(environment, name, terraform, None if plans_only else aws)
        workspace.prepare()
        plan = workspace.plan(terraform.plan_path(environment, name, run_id), variables)
        if plans_only:
            return
        outputs_after(workspace, plan, workspace.apply(plan), known)

    component("connectors", connectors.variables(environment))
    upstream = read_outputs(environment, "connectors", terraform, databases.READS)
    component("databases", databases.variables(environment, upstream, environment.neo4j.ami_id or ""))
    upstream = read_outputs(environment, "connectors", terraform, app.READS_CONNECTORS)
    db = read_outputs(environment, "databases", terraform, app.READS_DATABASES)
    deployed = terraform.workspace(environment, "app").outputs()
    current = deployed.get("image_tag")
    tag = app.image_tag(environment, git_sha, current.value if current else None)
    component("app", app.variables(environment, upstream, db, tag), deployed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("environment")
    parser.add_argument("--git-sha", default="")
    parser.add_argument("--plans-only", action="store_true", help="plan each component; no apply, no outputs")
    args = parser.parse_args()
    # The resources as `definitions.default_resources()` configures them, without loading the code location.
    terraform = TerraformResource(
        roots_dir=os.environ["CREDEX_TERRAFORM_ROOTS"], work_dir=os.environ["CREDEX_WORK_DIR"]
    )
    aws = AwsResource(endpoint_url=os.environ.get("AWS_ENDPOINT_URL"))
    environment = load_environments(os.environ.get("CREDEX_ENVIRONMENTS_FILE"))[args.environment]
    deploy(environment, terraform, aws, args.git_sha, args.plans_only)


if __name__ == "__main__":
    main()
