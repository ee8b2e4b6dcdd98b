"""Day 0 rehearsed on moto: the bootstrap and orchestrator roots applied by `deploy/day0.py`, as a user runs it.

The world is moto in server mode (its own process: other tests reset the session's server), the real AWS
provider from the filesystem mirror, the real roots, S3 state in moto. Two accounts: the orchestrator's
(moto's default 123456789012) and a separate one (222222222222) reached through an administrator role, as
production is. Two stand-ins, each for something moto cannot do:
- the image push: moto's ECR has no registry endpoint, so the image is recorded with `put_image` (what a
  push leaves behind: a tag and a manifest in the repository);
- `deny_non_tls_requests: false` in the installation file: moto applies a bucket policy's
  `aws:SecureTransport = false` deny to every request, since it never knows the transport (decision 0133).

Plug-in point for the shared rehearsal world (tests/support/rehearsal.py): `OrchestratorWorld.env` is all a
process needs to act in this world; `run_day0(...)` runs a step; `outputs` are the orchestrator root's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import yaml

from .moto import MotoServer

PROJECT = Path(__file__).resolve().parents[2]
DAY0 = PROJECT / "deploy" / "day0.py"
PROVIDER_MIRROR = Path("/opt/tf-plugins")
SEPARATE_ACCOUNT = "222222222222"
SEPARATE_ADMIN_ROLE = f"arn:aws:iam::{SEPARATE_ACCOUNT}:role/OrganizationAccountAccessRole"
IMAGE_TAG = "0123456789abcdef0123456789abcdef01234567"


class LoggedMotoServer(MotoServer):
    """MotoServer whose server output goes to a file: moto answers 500 with its traceback only there."""

    def __init__(self, log: Path, env: Mapping[str, str] | None = None) -> None:
        super().__init__(env, log=log)


def provider_mirror_problem() -> str | None:
    aws = PROVIDER_MIRROR / "registry.terraform.io" / "hashicorp" / "aws" / "5.100.0"
    if not aws.is_dir():
        return (
            f"the AWS provider 5.100.0 is not in the filesystem mirror {PROVIDER_MIRROR} "
            "(make it with `terraform providers mirror -platform=linux_amd64 /opt/tf-plugins` in terraform/orchestrator)"
        )
    return None


def cli_config(directory: Path) -> Path:
    path = directory / "cli.tfrc"
    path.write_text(
        f'provider_installation {{\n  filesystem_mirror {{\n    path = "{PROVIDER_MIRROR}"\n  }}\n}}\n'
    )
    return path


@dataclass
class Day0Result:
    returncode: int
    output: str  # stdout and stderr
    stdout: str


@dataclass
class OrchestratorWorld:
    directory: Path
    moto: MotoServer
    installation: Path
    env: dict[str, str]
    results: list[Day0Result] = field(default_factory=list)

    @classmethod
    def start(cls, directory: Path) -> OrchestratorWorld:
        problem = provider_mirror_problem()
        if problem:
            raise RuntimeError(problem)
        moto = LoggedMotoServer(directory / "moto.log", {"MOTO_ECS_SERVICE_RUNNING": "1"}).start()
        home = directory / "home"
        home.mkdir(parents=True)
        raw = yaml.safe_load((PROJECT / "deploy" / "orchestrator.yaml").read_text())
        raw.update(separate_account_role_arn=SEPARATE_ADMIN_ROLE, deny_non_tls_requests=False)
        installation = directory / "orchestrator.yaml"
        installation.write_text(yaml.safe_dump(raw))
        env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("TF_", "AWS_", "CREDEX_", "DAGSTER_"))
            },
            "HOME": str(home),
            "TF_CLI_CONFIG_FILE": str(cli_config(directory)),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "af-south-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ENDPOINT_URL": moto.endpoint_url,
            "CREDEX_STATE_S3_ENDPOINT": moto.endpoint_url,
        }
        return cls(directory, moto, installation, env)

    def stop(self) -> None:
        self.moto.stop()

    @property
    def work_dir(self) -> Path:
        return self.directory / "day0"

    def run_day0(
        self, *args: str, installation: Path | None = None, environments: Path | None = None
    ) -> Day0Result:
        command = [sys.executable, str(DAY0), *args, "--config", str(installation or self.installation)]
        command += ["--work-dir", str(self.work_dir)]
        if environments:
            command += ["--environments", str(environments)]
        completed = subprocess.run(
            command, cwd=PROJECT, env=self.env, stdin=subprocess.DEVNULL, capture_output=True, text=True
        )
        result = Day0Result(completed.returncode, completed.stdout + completed.stderr, completed.stdout)
        self.results.append(result)
        return result

    def client(self, service: str, account: str | None = None):
        """A boto3 client in the orchestrator's account, or in `account` through its administrator role."""
        kwargs: dict[str, Any] = {"region_name": "af-south-1", "endpoint_url": self.moto.endpoint_url}
        if account:
            sts = boto3.client("sts", aws_access_key_id="testing", aws_secret_access_key="testing", **kwargs)
            creds = sts.assume_role(
                RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="test"
            )["Credentials"]
            kwargs.update(
                aws_access_key_id=creds["AccessKeyId"],
                aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"],
            )
        else:
            kwargs.update(aws_access_key_id="testing", aws_secret_access_key="testing")
        return boto3.client(service, **kwargs)

    def push_image(self, tag: str = IMAGE_TAG) -> None:
        """Stand-in for `buildah push` to ECR: what a push leaves in the repository (a tag, a manifest)."""
        manifest: Mapping[str, Any] = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": "sha256:" + "0" * 64,
                "size": 2,
            },
            "layers": [],
        }
        self.client("ecr").put_image(
            repositoryName="credex-orchestration", imageManifest=json.dumps(manifest), imageTag=tag
        )

    def state(self, workspace: str) -> dict[str, Any]:
        body = (
            self.client("s3")
            .get_object(
                Bucket="credex-terraform-state-orchestrator", Key=f"env:/{workspace}/terraform.tfstate"
            )["Body"]
            .read()
        )
        return json.loads(body)

    def last_plan(self, root: str) -> dict[str, Any]:
        """`terraform show -json` of the plan day 0 applied last in `root` (what Terraform asked AWS for)."""
        completed = subprocess.run(
            [sys.executable, "-m", "credex_orchestration.lib.terraform_cli", f"-chdir={PROJECT / 'terraform' / root}",
             "show", "-json", str(self.work_dir / "plans" / f"{root}.tfplan")],
            env={**self.env, "TF_DATA_DIR": str(self.work_dir / "data" / root)}, capture_output=True, text=True,
        )  # fmt: skip
        assert completed.returncode == 0, completed.stderr
        return json.loads(completed.stdout)

    def outputs(self) -> dict[str, Any]:
        return {name: item["value"] for name, item in self.state("orchestrator")["outputs"].items()}
