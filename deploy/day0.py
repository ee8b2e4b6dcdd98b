"""Day 0: from an empty AWS account to a running orchestrator, idempotently (docs/deployers-guide.md).

    .venv/bin/python deploy/day0.py state          # 1. state buckets (bootstrap root), its state moved into S3
    .venv/bin/python deploy/day0.py orchestrator   # 2. the orchestrator root (without services: no image yet)
    bash deploy/image/publish                      # 3. the image, tagged with the commit SHA (or CI on merge)
    .venv/bin/python deploy/day0.py orchestrator --image-tag SHA      # 4. services on that image
    .venv/bin/python deploy/day0.py first-deploy --environment development   # 5. deploy_development queued
    .venv/bin/python deploy/day0.py all --image-tag SHA --environment development   # 1, 2, 4, 5 in order
    .venv/bin/python deploy/day0.py outputs        # role ARNs to put into environments.yaml and GitHub

Every step can be repeated: a bucket that exists is kept, an applied root plans no change. The bootstrap's
state lives in a local file only between its first apply and the moment its bucket exists; then it is
pushed into that bucket and the file is removed. AWS credentials come from the usual chain (an
administrator of the orchestrator's account); `AWS_ENDPOINT_URL` and `CREDEX_STATE_S3_ENDPOINT` point
everything at moto in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import yaml
from botocore.exceptions import ClientError

from credex_orchestration.deploy.config import deploy_run_config
from credex_orchestration.environments import Environments, load_environments
from credex_orchestration.lib.terraform import Backend, TerraformError, TerraformWorkspace

PROJECT = Path(__file__).resolve().parents[1]
ROOTS = PROJECT / "terraform"
IMAGE_WORKSPACE = "/opt/credex/workspace.yaml"
REVISIONED = ("aws_ecs_task_definition.",)


class Day0Error(RuntimeError):
    """A step cannot run; the message says what is wrong and how to fix it. Nothing was changed."""


@dataclass(frozen=True)
class Installation:
    region: str
    account: str
    state_bucket: str
    separate_account_role_arn: str | None
    github_owner: str
    environments: Environments
    deny_non_tls_requests: bool = True

    @classmethod
    def load(cls, config: Path, environments: Path | None) -> Installation:
        raw = yaml.safe_load(config.read_text()) or {}
        missing = [key for key in ("region", "account", "state_bucket", "github_owner") if not raw.get(key)]
        if missing:
            raise Day0Error(f"{config}: missing {', '.join(missing)}")
        envs = load_environments(environments)
        others = sorted({env.aws.account for env in envs.values() if env.aws.account != raw["account"]})
        if len(others) > 1:
            raise Day0Error(
                f"{envs.source}: environments live in {len(others) + 1} accounts ({raw['account']}, "
                f"{', '.join(str(o) for o in others)}); the orchestrator root serves its own and one separate account"
            )
        return cls(
            raw["region"],
            raw["account"],
            raw["state_bucket"],
            raw.get("separate_account_role_arn"),
            raw["github_owner"],
            envs,
            bool(raw.get("deny_non_tls_requests", True)),
        )

    def separate(self, name: str) -> bool:
        return self.environments[name].aws.account != self.account

    def bootstrap_variables(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "orchestrator_state_bucket": self.state_bucket,
            "deny_non_tls_requests": self.deny_non_tls_requests,
            "separate_account_role_arn": self.separate_account_role_arn,
            "state_buckets": {
                name: {"bucket": env.state.bucket, "separate_account": self.separate(name)}
                for name, env in self.environments.items()
                if env.state.backend == "s3"
            },
        }

    def orchestrator_variables(self, image_tag: str | None) -> dict[str, Any]:
        return {
            "region": self.region,
            "image_tag": image_tag,
            "separate_account_role_arn": self.separate_account_role_arn,
            "github_owner": self.github_owner,
            "deny_non_tls_requests": self.deny_non_tls_requests,
            "environments": {name: {"separate_account": self.separate(name)} for name in self.environments},
        }


class Day0:
    def __init__(self, installation: Installation, work_dir: Path) -> None:
        self.installation = installation
        self.work_dir = work_dir
        self.s3_endpoint = os.environ.get("CREDEX_STATE_S3_ENDPOINT")

    def _client(self, service: str):
        return boto3.client(service, region_name=self.installation.region)

    def _backend(self) -> Backend:
        settings: dict[str, Any] = {
            "bucket": self.installation.state_bucket,
            "key": "terraform.tfstate",
            "region": self.installation.region,
            "encrypt": True,
            "use_lockfile": True,
        }
        if self.s3_endpoint:
            settings.update(
                endpoints={"s3": self.s3_endpoint},
                use_path_style=True,
                skip_credentials_validation=True,
                skip_requesting_account_id=True,
                skip_metadata_api_check=True,
                skip_region_validation=True,
            )
        return Backend("s3", settings)

    def _workspace(self, root: Path, workspace: str, backend: Backend, data: str) -> TerraformWorkspace:
        return TerraformWorkspace(
            root=root,
            workspace=workspace,
            data_dir=self.work_dir / "data" / data,
            backend=backend,
            plugin_cache_dir=self.work_dir / "plugin-cache",
            log=lambda line: print(line, file=sys.stderr, flush=True),
        )

    def _apply(self, workspace: TerraformWorkspace, variables: dict[str, Any], name: str) -> None:
        plan = workspace.plan(self.work_dir / "plans" / f"{name}.tfplan", variables)
        # A task definition "replaced" registers a new revision and keeps the old one (skip_destroy).
        destroyed = [address for address in plan.destroyed if not address.startswith(REVISIONED)]
        if destroyed:
            raise Day0Error(
                f"{name}: the plan destroys {', '.join(destroyed)}; day 0 never destroys, nothing was applied"
            )
        summary = workspace.apply(plan)
        print(f"day0: {name}: {summary.add} added, {summary.change} changed, {summary.destroy} destroyed")

    def _state_in_bucket(self, workspace: str) -> bool:
        s3 = boto3.client("s3", region_name=self.installation.region, endpoint_url=self.s3_endpoint)
        try:
            s3.head_object(Bucket=self.installation.state_bucket, Key=f"env:/{workspace}/terraform.tfstate")
        except ClientError as error:
            if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NoSuchBucket", "403"):
                return False
            raise
        return True

    # ----- steps ----------------------------------------------------------------------------------------
    def state(self) -> None:
        """The state buckets; the bootstrap's own state ends up in the orchestrator's bucket."""
        variables = self.installation.bootstrap_variables()
        local_state = self.work_dir / "bootstrap-local" / "terraform.tfstate"
        if not self._state_in_bucket("bootstrap"):
            copy = self.work_dir / "bootstrap-local" / "root"
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(ROOTS / "bootstrap", copy, ignore=shutil.ignore_patterns(".terraform"))
            (copy / "backend_override.tf").write_text('terraform {\n  backend "local" {}\n}\n')
            local = self._workspace(
                copy, "default", Backend("local", {"path": str(local_state)}), "bootstrap-local"
            )
            self._apply(local, variables, "bootstrap (local state)")
            remote = self._workspace(ROOTS / "bootstrap", "bootstrap", self._backend(), "bootstrap")
            remote.prepare()
            remote.run("state", "push", "-no-color", str(local_state))
            print(f"day0: bootstrap state moved into s3://{self.installation.state_bucket}")
            local_state.unlink()
            shutil.rmtree(self.work_dir / "bootstrap-local", ignore_errors=True)
            shutil.rmtree(self.work_dir / "data" / "bootstrap-local", ignore_errors=True)
        remote = self._workspace(ROOTS / "bootstrap", "bootstrap", self._backend(), "bootstrap")
        self._apply(remote, variables, "bootstrap")

    def orchestrator(self, image_tag: str | None) -> dict[str, Any]:
        if not self._state_in_bucket("bootstrap"):
            raise Day0Error(
                f"no bootstrap state in s3://{self.installation.state_bucket}: run `day0.py state` first"
            )
        if image_tag:
            self._require_image(image_tag)
        workspace = self._workspace(ROOTS / "orchestrator", "orchestrator", self._backend(), "orchestrator")
        self._apply(workspace, self.installation.orchestrator_variables(image_tag), "orchestrator")
        return {name: output.value for name, output in workspace.outputs().items()}

    def outputs(self) -> dict[str, Any]:
        """The orchestrator root's outputs (role ARNs to wire into environments.yaml and GitHub); no secret."""
        workspace = self._workspace(ROOTS / "orchestrator", "orchestrator", self._backend(), "orchestrator")
        return {name: output.value for name, output in workspace.outputs().items() if not output.sensitive}

    def _require_image(self, image_tag: str) -> None:
        ecr = self._client("ecr")
        try:
            ecr.describe_images(repositoryName="credex-orchestration", imageIds=[{"imageTag": image_tag}])
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code in ("ImageNotFoundException", "RepositoryNotFoundException"):
                raise Day0Error(
                    f"image credex-orchestration:{image_tag} is not in ECR ({code}): run `day0.py orchestrator` "
                    "without --image-tag, then push it (bash deploy/image/publish, or merge to main)"
                ) from None
            raise

    def first_deploy(self, environment: str, outputs: dict[str, Any]) -> str:
        """Queue `deploy_<environment>` from a one-off task of the daemon's definition (it reaches the database)."""
        env = self.installation.environments[environment]
        if not outputs.get("run_worker_task_definition"):
            raise Day0Error("the orchestrator has no services yet: apply it with --image-tag first")
        config = json.dumps(deploy_run_config(env))
        command = [
            "dagster",
            "job",
            "launch",
            "-w",
            IMAGE_WORKSPACE,
            "-j",
            f"deploy_{env.name}",
            "--config-json",
            config,
        ]
        ecs = self._client("ecs")
        task = ecs.run_task(
            cluster=outputs["cluster"],
            taskDefinition="credex-orchestrator-daemon",
            launchType="FARGATE",
            count=1,
            startedBy="day0-first-deploy",
            networkConfiguration={
                "awsvpcConfiguration": {
                    "subnets": outputs["subnets"],
                    "securityGroups": [outputs["tasks_security_group"]],
                    "assignPublicIp": "DISABLED",
                }
            },
            overrides={"containerOverrides": [{"name": "daemon", "command": command}]},
        )
        if task.get("failures"):
            raise Day0Error(f"ECS refused the launch task: {task['failures']}")
        arn = task["tasks"][0]["taskArn"]
        print(f"day0: deploy_{env.name} queued by task {arn}; watch it in the UI (docs/deployers-guide.md)")
        return arn


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("step", choices=["state", "orchestrator", "first-deploy", "all", "outputs"])
    parser.add_argument("--config", type=Path, default=PROJECT / "deploy" / "orchestrator.yaml")
    parser.add_argument("--environments", type=Path, default=None, help="default: environments.yaml")
    parser.add_argument("--image-tag", default=None, help="commit SHA of the image in ECR")
    parser.add_argument("--environment", default=None, help="environment of the first deploy")
    parser.add_argument("--work-dir", type=Path, default=PROJECT / ".credex" / "day0")
    args = parser.parse_args(argv)
    try:
        installation = Installation.load(args.config, args.environments)
        if args.environment and args.environment not in installation.environments:
            raise Day0Error(
                f"--environment {args.environment}: not in {installation.environments.source} "
                f"(one of {', '.join(installation.environments)})"
            )
        if args.step in ("first-deploy", "all") and not (args.environment and args.image_tag):
            raise Day0Error(f"{args.step} needs --environment and --image-tag")
        day0 = Day0(installation, args.work_dir.resolve())
        if args.step == "outputs":
            print(json.dumps(day0.outputs(), indent=2, sort_keys=True))
            return 0
        if args.step in ("state", "all"):
            day0.state()
        if args.step in ("orchestrator", "all", "first-deploy"):
            outputs = day0.orchestrator(args.image_tag)
        if args.step in ("first-deploy", "all"):
            day0.first_deploy(args.environment, outputs)
    except (Day0Error, TerraformError) as error:
        print(f"day0: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
