"""The world a benchmark deploys into: moto on loopback, fixture Terraform roots, local state, temp dirs.

The same environment variables the code location reads in production point it here, so the Dagster CLI
and the plain script run exactly as they would against AWS, only against moto and `terraform_data` roots.

Development's post-deploy checks run and pass: moto holds the environment's AWS side under naming.py's names
(load balancer, HTTPS listener with an issued certificate, Neo4j instances and secret, an ECS service
running the revision the fixture app root reports) and a loopback HTTP server answers as credex-core
(tests/support). Both sides of a comparison make the checks' calls, so they are work, not overhead.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from credex_orchestration.environments import load_environments
from tests.support.api_server import ApiServer
from tests.support.aws_world import ACCOUNT, ecs_moto
from tests.support.aws_world import World as AwsWorld
from tests.support.environments import local_environments_file

PROJECT = Path(__file__).resolve().parent.parent
FIXTURE_ROOTS = PROJECT / "tests" / "fixtures" / "terraform"
PROBE = Path(__file__).resolve().parent / "probe"
LOCAL_INSTANCE = PROJECT / "dagster.yaml"  # the local default instance `scripts/dev` installs
ENVIRONMENT = "development"
AMI = "ami-0123456789abcdef0"
# The fixture app root names task definition revision N for an image tag starting with hex digit N; the
# world registers revision 1 for this SHA, so ECS status finds the revision Terraform reports.
GIT_SHA = "1abc234"
WINDOW = 1.0  # seconds: the stand-in's rate-limit window here (credex-core's is 60)
PYTHON = sys.executable
DAGSTER = str(Path(sys.executable).with_name("dagster"))


@dataclass
class World:
    root: Path
    environments_file: Path
    unverified_environments_file: Path
    endpoint_url: str

    def env(
        self,
        work_dir: Path,
        dagster_home: Path | None = None,
        tf_log: Path | None = None,
        verified: bool = True,
    ) -> dict[str, str]:
        """A hermetic process environment: own HOME, Terraform CLI config, AWS at moto, state under work_dir.

        `verified=False` uses the environments file whose development builds no post-deploy checks.
        """
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("TF_", "AWS_", "CREDEX_", "DAGSTER_", "PYTHON"))
        }
        home = self.root / "home"
        env.update(
            HOME=str(home),
            TF_CLI_CONFIG_FILE=str(home / "terraformrc"),
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_DEFAULT_REGION="af-south-1",
            AWS_EC2_METADATA_DISABLED="true",
            AWS_ENDPOINT_URL=self.endpoint_url,
            CREDEX_ENVIRONMENTS_FILE=str(
                self.environments_file if verified else self.unverified_environments_file
            ),
            CREDEX_TERRAFORM_ROOTS=str(FIXTURE_ROOTS),
            CREDEX_WORK_DIR=str(work_dir),
            CREDEX_BENCH_TMP=str(self.root),
            DAGSTER_HOME=str(dagster_home or self.root / "dagster-home"),
            PYTHONPATH=os.pathsep.join([str(PROBE), str(PROJECT)]),
        )
        if tf_log is not None:
            env["CREDEX_BENCH_TF_LOG"] = str(tf_log)
        return env

    def fresh(self, name: str) -> Path:
        """A new empty directory under the world (a work dir with no state)."""
        return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.root))

    def dagster_home(self, name: str) -> Path:
        """A new DAGSTER_HOME with the project's local instance file, as `scripts/dev` installs it."""
        home = self.fresh(name)
        shutil.copy(LOCAL_INSTANCE, home / "dagster.yaml")
        return home

    def run_config(self, name: str, config: dict) -> Path:
        path = self.root / f"{name}.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        return path


def _environments(root: Path, api_url: str, verified: bool) -> Path:
    """Every environment keeps state locally, pins the Neo4j AMI and runs in moto's account.

    Development is the benchmarked one: its checks run against the world (or are not built at all when
    `verified` is false). Staging's connectors serve the overlap benchmark only: no checks.
    """
    directory = root / ("environments" if verified else "environments-unverified")
    directory.mkdir()
    overrides = {
        name: {
            "neo4j.ami_id": AMI,
            "aws.account_id": ACCOUNT,
            "state.lock_timeout_seconds": 30,
            "triggers.quiet_windows_utc": [],  # sensor ticks measured at any hour do their work
        }
        for name in ("development", "staging", "production")
    }
    overrides["development"]["base_url"] = api_url
    overrides["development"]["verification.enabled"] = verified
    # Deploys follow each other within seconds: the stand-in's limiter window is short (WINDOW) so they do
    # not wait a minute for budget, and the benchmark check is small and quick (both sides run it alike).
    overrides["development"].update(
        {
            "verification.rate_limit.window_seconds": WINDOW,
            "verification.benchmark.requests": 5,
            "verification.benchmark.min_requests": 5,
            "verification.benchmark.rate_per_second": 20,
        }
    )
    overrides["staging"]["verification.enabled"] = False
    return local_environments_file(directory, overrides)


def _build_aws_side(environments_file: Path, endpoint_url: str) -> None:
    """What development's Terraform would have made in AWS, so every post-deploy check passes."""
    aws = AwsWorld(load_environments(environments_file)[ENVIRONMENT], endpoint_url)
    made = aws.network()
    aws.register_target(made["target_group"])
    aws.https_listener(made["balancer"], aws.issued_certificate())
    aws.databases(made)
    aws.app(GIT_SHA)


@contextmanager
def world() -> Iterator[World]:
    root = Path(tempfile.mkdtemp(prefix="credex-bench-"))
    # The harness builds the world with boto3 itself: moto's test keys, never whatever the shell holds.
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        os.environ.pop(name, None)
    try:
        (root / "home").mkdir()
        (root / "home" / "terraformrc").write_text("")
        (root / "dagster-home").mkdir()
        shutil.copy(LOCAL_INSTANCE, root / "dagster-home" / "dagster.yaml")
        with ecs_moto() as moto, ApiServer(window_seconds=WINDOW) as api:
            verified = _environments(root, api.url, verified=True)
            _build_aws_side(verified, moto.endpoint_url)
            yield World(root, verified, _environments(root, api.url, verified=False), moto.endpoint_url)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def terraform_processes(tf_log: Path) -> list[dict]:
    """Terraform processes the probe recorded (see probe/sitecustomize.py)."""
    if not tf_log.exists():
        return []
    return [json.loads(line) for line in tf_log.read_text().splitlines() if line.strip()]
