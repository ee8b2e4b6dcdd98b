"""The world a benchmark deploys into: the rehearsal, as `tests/test_rehearsal_dagster.py` builds it.

moto in server mode with the rehearsal's patches (`rehearsal.moto_server.MotoProcess`, REHEARSAL_MOTO_ENV),
every environment prepared as a fresh account would be (`rehearsal.seed`), a loopback stand-in of the
credex-core API as each base URL, the real Terraform roots and the real AWS provider from the mirror, S3
state in moto, and a Dagster instance with the project's dagster.yaml (its pools: one writer per
environment). Each world is hermetic (own HOME, Terraform CLI config, work dir, DAGSTER_HOME) and one
harness can hold two side by side, so two first deploys each start from an empty account.

Overrides of the rehearsal's environments file, all data: development deploys on a push (`auto_deploy`,
for the lead-time figure) at any hour (no quiet windows), and the stand-in's rate-limit window is short so
deploys that follow each other within seconds do not wait a minute for budget, and development's benchmark
check sends a small load (both sides of a comparison run the checks alike).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from dagster import DagsterInstance, Definitions

from credex_orchestration.environments import (
    DEFAULT_ENVIRONMENTS_FILE,
    PROJECT_ROOT,
    Environments,
    load_environments,
)
from credex_orchestration.rehearsal import seed
from credex_orchestration.rehearsal.__main__ import rehearsal_process_env
from credex_orchestration.rehearsal.api_stand_in import ApiServer
from credex_orchestration.rehearsal.definitions import local_instance_settings, rehearsal_definitions
from credex_orchestration.rehearsal.environments_file import write_rehearsal_environments
from credex_orchestration.rehearsal.moto_server import MotoProcess
from credex_orchestration.resources import AwsResource, TerraformResource

ENVIRONMENT = "development"  # the benchmarked environment (tests and docs may name environments)
PROBE = Path(__file__).resolve().parent / "probe"
WINDOW = 1.0  # seconds: the stand-in's rate-limit window here (credex-core's is 60)
# The benchmark check's load, small and quick (both sides of a comparison run it alike).
BENCHMARK_CHECK = {"requests": 5, "min_requests": 5, "rate_per_second": 20}
DAGSTER = str(Path(sys.executable).with_name("dagster"))
DAGSTER_DAEMON = str(Path(sys.executable).with_name("dagster-daemon"))


@dataclass
class World:
    root: Path
    moto: MotoProcess
    apis: dict[str, ApiServer]
    environments_file: Path
    environments: Environments
    terraform: TerraformResource
    defs: Definitions
    instance: DagsterInstance
    dagster_home: Path

    @property
    def environment(self):
        return self.environments[ENVIRONMENT]

    def aws(self) -> AwsResource:
        return AwsResource(endpoint_url=self.moto.endpoint_url)

    def run(self, job: str, run_config: dict | None = None, **kwargs: Any):
        """A job in this process on the world's instance, as the UI's Materialize launches it."""
        return self.defs.resolve_job_def(job).execute_in_process(
            run_config=run_config or {}, instance=self.instance, raise_on_error=False, **kwargs
        )

    def process_env(self, tf_log: Path | None = None, **extra: str) -> dict[str, str]:
        """The environment of a Dagster process (CLI, daemon) acting in this world, as the rehearsal's."""
        env = rehearsal_process_env(self.moto.endpoint_url, self.environments_file, self.root)
        env.update(
            HOME=str(self.root / "home"),
            DAGSTER_HOME=str(self.dagster_home),
            CREDEX_WORK_DIR=self.terraform.work_dir,
            PYTHONPATH=os.pathsep.join([str(PROBE), str(PROJECT_ROOT)]),
            **extra,
        )
        env.pop("TF_CLI_CONFIG_FILE", None)
        if tf_log is not None:
            env["CREDEX_BENCH_TF_LOG"] = str(tf_log)
        return env


def _environments_file(home: Path, endpoint_url: str, apis: dict[str, ApiServer]) -> Path:
    checked_in = load_environments(DEFAULT_ENVIRONMENTS_FILE)
    amis = {name: seed.prepare(environment, endpoint_url) for name, environment in checked_in.items()}
    path = write_rehearsal_environments(
        home, checked_in, amis, {name: api.url for name, api in apis.items()}, endpoint_url
    )
    raw = yaml.safe_load(path.read_text())
    for name, body in raw["environments"].items():
        body.setdefault("triggers", {})["quiet_windows_utc"] = []
        body.setdefault("verification", {}).setdefault("rate_limit", {})["window_seconds"] = WINDOW
        if name == ENVIRONMENT:
            body["auto_deploy"] = True
            body["verification"].setdefault("benchmark", {}).update(BENCHMARK_CHECK)
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    load_environments(path)
    return path


@contextmanager
def world(name: str, parent: Path) -> Iterator[World]:
    """One rehearsal world under `parent/name`; everything it started stops with it."""
    root = parent / name
    (root / "home").mkdir(parents=True)
    checked_in = load_environments(DEFAULT_ENVIRONMENTS_FILE)
    with ExitStack() as stack:
        moto = stack.enter_context(MotoProcess())
        apis = {
            env_name: stack.enter_context(ApiServer(window_seconds=WINDOW, node_env=environment.app.node_env))
            for env_name, environment in checked_in.items()
        }
        path = _environments_file(root, moto.endpoint_url, apis)
        environments = load_environments(path)
        terraform, defs = rehearsal_definitions(environments, moto.endpoint_url, root / "terraform")
        dagster_home = root / "dagster_home"
        dagster_home.mkdir()
        shutil.copy(PROJECT_ROOT / "dagster.yaml", dagster_home / "dagster.yaml")  # the daemon's instance
        settings = local_instance_settings()
        instance = stack.enter_context(DagsterInstance.local_temp(str(dagster_home), overrides=settings))
        yield World(root, moto, apis, path, environments, terraform, defs, instance, dagster_home)


@contextmanager
def harness() -> Iterator[Path]:
    """The benchmark run's temp dir, and the process's AWS settings pointed away from any real account.

    Terraform's processes and boto3 in this process read AWS_ENDPOINT_URL: each world sets it while it is
    measured (`pointed_at`); the shell's credentials never reach moto or a log.
    """
    root = Path(tempfile.mkdtemp(prefix="credex-bench-"))
    saved = dict(os.environ)
    os.environ.update(
        AWS_ACCESS_KEY_ID="rehearsal",
        AWS_SECRET_ACCESS_KEY="rehearsal",
        AWS_DEFAULT_REGION="af-south-1",
        AWS_EC2_METADATA_DISABLED="true",
        HOME=str(root),
    )
    for key in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "TF_CLI_CONFIG_FILE", "CREDEX_BENCH_TF_LOG"):
        os.environ.pop(key, None)
    try:
        yield root
    finally:
        os.environ.clear()
        os.environ.update(saved)
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def pointed_at(world_: World, tf_log: Path | None = None) -> Iterator[None]:
    """AWS clients and Terraform processes of this process act in `world_`; `tf_log` counts Terraform."""
    saved = {key: os.environ.get(key) for key in ("AWS_ENDPOINT_URL", "CREDEX_BENCH_TF_LOG", "PYTHONPATH")}
    os.environ["AWS_ENDPOINT_URL"] = world_.moto.endpoint_url
    if tf_log is not None:
        os.environ["CREDEX_BENCH_TF_LOG"] = str(tf_log)
        os.environ["PYTHONPATH"] = os.pathsep.join([str(PROBE), str(PROJECT_ROOT)])
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
