"""The world a benchmark deploys into: moto on loopback, fixture Terraform roots, local state, temp dirs.

The same environment variables the code location reads in production point it here, so the Dagster CLI
and the plain script run exactly as they would against AWS, only against moto and `terraform_data` roots.
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

from tests.support.environments import local_environments_file
from tests.support.moto import MotoServer

PROJECT = Path(__file__).resolve().parent.parent
FIXTURE_ROOTS = PROJECT / "tests" / "fixtures" / "terraform"
PROBE = Path(__file__).resolve().parent / "probe"
ENVIRONMENT = "development"
AMI = "ami-0123456789abcdef0"
MOTO_ACCOUNT = "123456789012"  # moto's default account: a deploy checks the caller's account against it
PYTHON = sys.executable
DAGSTER = str(Path(sys.executable).with_name("dagster"))


@dataclass
class World:
    root: Path
    environments_file: Path
    endpoint_url: str

    def env(
        self, work_dir: Path, dagster_home: Path | None = None, tf_log: Path | None = None
    ) -> dict[str, str]:
        """A hermetic process environment: own HOME, Terraform CLI config, AWS at moto, state under work_dir."""
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
            CREDEX_ENVIRONMENTS_FILE=str(self.environments_file),
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
        """A new empty directory under the world (a work dir with no state, a fresh DAGSTER_HOME)."""
        path = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.root))
        return path

    def run_config(self, name: str, config: dict) -> Path:
        path = self.root / f"{name}.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        return path


@contextmanager
def world() -> Iterator[World]:
    """Moto and an environments file whose environments keep state locally and pin the Neo4j AMI."""
    root = Path(tempfile.mkdtemp(prefix="credex-bench-"))
    try:
        (root / "home").mkdir()
        (root / "home" / "terraformrc").write_text("")
        (root / "dagster-home").mkdir()
        # Post-deploy verification is off outside production: the plain-script baseline makes only the
        # Terraform calls, so the ratio compares orchestration, not the checks' own work (ECS polling, HTTP
        # load, the integration suite), which neither moto nor the fixture roots can stand behind here.
        overrides = {
            name: {"neo4j.ami_id": AMI, "aws.account_id": MOTO_ACCOUNT, "state.lock_timeout_seconds": 30}
            for name in ("development", "staging", "production")
        }
        for name in ("development", "staging"):
            overrides[name]["verification.enabled"] = False
        environments_file = local_environments_file(root, overrides)
        with MotoServer() as moto:
            yield World(root, environments_file, moto.endpoint_url)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def terraform_processes(tf_log: Path) -> list[dict]:
    """Terraform processes the probe recorded (see probe/sitecustomize.py)."""
    if not tf_log.exists():
        return []
    return [json.loads(line) for line in tf_log.read_text().splitlines() if line.strip()]
