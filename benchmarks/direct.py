"""The deploy without Dagster: the same Terraform and AWS calls as `deploy_<env>`, in sequence, as a script.

The baseline of the overhead benchmark, on the real roots. It uses the engine (`TerraformResource`/
`TerraformWorkspace`), each component's `variables()` builder and the verification functions the asset checks
call, in the order the deploy job runs them: per component a plan, for a plan with changes its review
(`terraform show`) and the apply, the outputs from state (no process), then the checks. So the only
difference is the orchestration. The harness calls `deploy` in its own process, as it runs the Dagster job;
as a script it prints one JSON line with every check's verdict and exits 1 when a check failed, so a broken
world is never measured as a fast one.
Usage: python -m benchmarks.direct ENVIRONMENT [--git-sha SHA] [--plans-only]
`plans_side_by_side` is the no-op figure's yardstick: the three plans at once, nothing else.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from credex_orchestration.components import app, connectors, databases
from credex_orchestration.deploy.step import open_workspace, outputs_after, read_outputs
from credex_orchestration.environments import Environment, load_environments
from credex_orchestration.lib.plan_view import plan_markdown
from credex_orchestration.resources import AwsResource, TerraformResource
from credex_orchestration.verification import databases as database_checks
from credex_orchestration.verification import network
from credex_orchestration.verification.app import AppVerification
from credex_orchestration.verification.outcome import Outcome
from credex_orchestration.verification.results import FINDINGS, connect

IMPORTED = time.time()


def deploy(
    environment: Environment,
    terraform: TerraformResource,
    aws: AwsResource,
    git_sha: str,
    plans_only: bool,
) -> dict[str, Outcome]:
    run_id = uuid.uuid4().hex
    verdicts: dict[str, Outcome] = {}
    verify = environment.verification.enabled and not plans_only

    def component(name: str, variables: dict, known: dict | None = None) -> None:
        workspace = open_workspace(environment, name, terraform, None if plans_only else aws)
        workspace.prepare()
        plan = workspace.plan(terraform.plan_path(environment, name, run_id), variables)
        if plans_only:
            return
        if plan.has_changes:  # the plan review a deployer reads before the apply (deploy/review.py)
            plan_markdown(
                workspace.show_plan(plan), workspace.redact, title=f"{environment.name}/{name} plan"
            )
        outputs_after(workspace, plan, workspace.apply(plan), known)

    def record(component: str, outcomes: dict[str, Outcome]) -> None:
        verdicts.update({f"{component}:{name}": outcome for name, outcome in outcomes.items()})

    component("connectors", connectors.variables(environment))
    if verify:
        record("connectors", network.verify_connectors(connect(aws, environment), environment))
    upstream = read_outputs(environment, "connectors", terraform, databases.READS)
    component("databases", databases.variables(environment, upstream, environment.neo4j.ami_id or ""))
    if verify:
        record("databases", database_checks.verify(connect(aws, environment), environment))
    upstream, db, deployed = app.read_inputs(environment, terraform)
    current = deployed.get("image_tag")
    tag = app.image_tag(environment, git_sha, current.value if current else None)
    component("app", app.variables(environment, upstream, db, tag), deployed)
    if verify:
        record("app", AppVerification.connect(environment, aws, terraform, print).run())
    return verdicts


def plans_side_by_side(environment: Environment, terraform: TerraformResource) -> dict[str, bool]:
    """The environment's three plans started together, each with the inputs its state already gives it.

    What a no-op deploy cannot beat on this machine: the least time the three plans take when they run at
    once (on fewer cores than plans they share the CPU). Returns whether each plan has changes.
    """
    run_id = uuid.uuid4().hex
    upstream = read_outputs(environment, "connectors", terraform, databases.READS)
    app_upstream, db, deployed = app.read_inputs(environment, terraform)
    current = deployed.get("image_tag")
    variables = {
        "connectors": connectors.variables(environment),
        "databases": databases.variables(environment, upstream, environment.neo4j.ami_id or ""),
        "app": app.variables(
            environment, app_upstream, db, app.image_tag(environment, "", current.value if current else None)
        ),
    }

    def plan(name: str) -> bool:
        workspace = open_workspace(environment, name, terraform, None)
        workspace.prepare()
        path = terraform.plan_path(environment, name, run_id)
        try:
            return workspace.plan(path, variables[name]).has_changes
        finally:
            path.unlink(missing_ok=True)

    with ThreadPoolExecutor(max_workers=len(variables)) as pool:
        return dict(zip(variables, pool.map(plan, variables), strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("environment")
    parser.add_argument("--git-sha", default="")
    parser.add_argument("--plans-only", action="store_true", help="plan each component; no apply, no checks")
    args = parser.parse_args()
    # The resources as `definitions.default_resources()` configures them, without loading the code location.
    terraform = TerraformResource(
        roots_dir=os.environ.get("CREDEX_TERRAFORM_ROOTS", "terraform"),
        work_dir=os.environ["CREDEX_WORK_DIR"],
        s3_endpoint_url=os.environ.get("CREDEX_STATE_S3_ENDPOINT"),
    )
    aws = AwsResource(endpoint_url=os.environ.get("AWS_ENDPOINT_URL"))

    environment = load_environments(os.environ.get("CREDEX_ENVIRONMENTS_FILE"))[args.environment]
    verdicts = deploy(environment, terraform, aws, args.git_sha, args.plans_only)
    checks = {name: outcome.passed for name, outcome in verdicts.items()}
    print(json.dumps({"checks": checks, "imported": IMPORTED, "worked": time.time()}))
    # A finding (e.g. routes answering without a token) is a warning, as in the asset check: not a failure.
    failed = {
        name: outcome.reason
        for name, outcome in verdicts.items()
        if not outcome.passed and name.split(":")[-1] not in FINDINGS
    }
    if failed:
        print(f"failed checks: {failed}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
