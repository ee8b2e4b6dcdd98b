"""`bash scripts/dev` started as a user starts it, and driven through its UI's GraphQL API as the UI drives it.

The process gets a hermetic environment: its own HOME, DAGSTER_HOME, rehearsal home and TF_CLI_CONFIG_FILE,
no AWS_* or CREDEX_* variable of the test session (so no credentials), a free port for the UI (PORT). The
instance file (CREDEX_INSTANCE_FILE) is the project's dagster.yaml, with `instance_overrides` on top.
What the rehearsal prints on start names its moto endpoint and environments file; `client` reaches that moto.

`materialize` sends what the Materialize button of a job page sends: launchPipelineExecution of the job with
the job's assets and their checks selected and the launchpad's default run config (`rootDefaultYaml`).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3
import yaml

from credex_orchestration.environments import Environments, load_environments

from .moto import free_port
from .orchestrator_world import PROJECT, cli_config
from .processes import alive, stop_tree
from .webserver import LAUNCH, graphql

REPOSITORY = "__repository__"
_STARTED = re.compile(r"AWS is moto at (\S+) .*environments file (\S+);")

JOB = """
query Job($selector: PipelineSelector!) {
  pipelineOrError(params: $selector) { __typename ... on Pipeline { name } }
  runConfigSchemaOrError(selector: $selector) { __typename ... on RunConfigSchema { rootDefaultYaml } }
}
"""
ASSETS = """
query Assets {
  repositoriesOrError { ... on RepositoryConnection { nodes { name location { name }
    assetNodes { assetKey { path } jobNames
      assetChecksOrError { ... on AssetChecks { checks { name jobNames blocking } } } } } } }
}
"""
RUN = """
query Run($runId: ID!) {
  runOrError(runId: $runId) { __typename ... on Run { status tags { key value }
    eventConnection(afterCursor: null) { events { __typename ... on MessageEvent { message } } } } }
}
"""
CHECKS = """
query Checks($path: [String!]!) {
  assetNodeOrError(assetKey: {path: $path}) { ... on AssetNode {
    assetChecksOrError { ... on AssetChecks { checks { name blocking
      executionForLatestMaterialization { runId status evaluation { success severity } } } } } } }
}
"""
_ENDED = ("SUCCESS", "FAILURE", "CANCELED")


class DevWorld:
    def __init__(self, directory: Path, instance_overrides: Mapping[str, Any]) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = directory / "scripts-dev.log"
        self.dagster_home = directory / "dagster_home"
        instance = yaml.safe_load((PROJECT / "dagster.yaml").read_text())
        instance.update(instance_overrides)
        self.instance_file = directory / "dagster.yaml"
        self.instance_file.write_text(yaml.safe_dump(instance, sort_keys=False))
        (directory / "home").mkdir(parents=True, exist_ok=True)
        kept = {
            k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CREDEX_", "DAGSTER_", "TF_"))
        }
        self.env = {
            **kept,
            "HOME": str(directory / "home"),
            "PATH": f"{PROJECT / '.venv' / 'bin'}:{kept.get('PATH', '/usr/bin:/bin')}",
            "PYTHONPATH": str(PROJECT),  # only for tests.support.task_launcher, the stand-in for ECS
            "PORT": str(self.port),
            "DAGSTER_HOME": str(self.dagster_home),
            "CREDEX_REHEARSAL_HOME": str(directory / "rehearsal"),
            "CREDEX_INSTANCE_FILE": str(self.instance_file),
            "TF_CLI_CONFIG_FILE": str(cli_config(directory)),
        }
        self.process: subprocess.Popen | None = None
        self.moto_url = ""
        self.environments: Environments | None = None
        self.location = ""
        self.left_behind: list[int] = []

    # ----- the process ----------------------------------------------------------------------------------
    def start(self, timeout: float = 300) -> DevWorld:
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                ["bash", "scripts/dev"], cwd=PROJECT, env=self.env, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self._loaded():
            if self.process.poll() is not None:
                raise RuntimeError(f"scripts/dev exited with {self.process.returncode}:\n{self.log_tail()}")
            time.sleep(1)
        if not self.location:
            self.stop()
            raise RuntimeError(
                f"scripts/dev did not serve the code location within {timeout} s:\n{self.log_tail()}"
            )
        return self

    def _loaded(self) -> bool:
        if not self.moto_url:
            found = _STARTED.search(self.log.read_text())
            if not found:
                return False
            self.moto_url, environments = found.groups()
            self.environments = load_environments(Path(environments))
        try:
            urllib.request.urlopen(f"{self.url}/server_info", timeout=2).read()
            nodes = self.graphql(ASSETS)["repositoriesOrError"].get("nodes") or []
        except OSError:
            return False
        for node in nodes:
            if node["name"] == REPOSITORY:
                self.location = node["location"]["name"]
        return bool(self.location)

    def stop(self) -> None:
        """SIGTERM the rehearsal (it stops dg dev and moto), then whatever of its tree is left; records leftovers."""
        if self.process:
            found = stop_tree(self.process, timeout=60)
            self.left_behind = [pid for pid in found if alive(pid)]
            with contextlib.suppress(ProcessLookupError):  # and what of its process group was orphaned earlier
                os.killpg(self.process.pid, signal.SIGKILL)

    def log_tail(self, chars: int = 5000) -> str:
        return self.log.read_text()[-chars:] if self.log.exists() else ""

    # ----- the UI's API -----------------------------------------------------------------------------------
    def graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return graphql(self.url, query, variables)

    def selector(self, job: str) -> dict[str, Any]:
        return {"repositoryLocationName": self.location, "repositoryName": REPOSITORY, "pipelineName": job}

    def job_selection(self, job: str) -> tuple[list[dict], list[dict]]:
        """The job's assets and their checks, as the job page's Materialize button selects them."""
        [repository] = [
            n for n in self.graphql(ASSETS)["repositoriesOrError"]["nodes"] if n["name"] == REPOSITORY
        ]
        assets, checks = [], []
        for node in repository["assetNodes"]:
            if job not in node["jobNames"]:
                continue
            assets.append({"path": node["assetKey"]["path"]})
            for check in node["assetChecksOrError"].get("checks") or []:
                if job in check["jobNames"]:
                    checks.append({"assetKey": {"path": node["assetKey"]["path"]}, "name": check["name"]})
        return assets, checks

    def default_run_config(self, job: str) -> dict[str, Any]:
        """What the launchpad opens with: the run config schema's default YAML."""
        data = self.graphql(JOB, {"selector": self.selector(job)})
        assert data["pipelineOrError"]["__typename"] == "Pipeline", data
        return yaml.safe_load(data["runConfigSchemaOrError"]["rootDefaultYaml"]) or {}

    def materialize(self, job: str, run_config: Mapping[str, Any] | None = None) -> str:
        """Launch `job` as its page's Materialize does (all its assets and checks); the run id."""
        assets, checks = self.job_selection(job)
        return self.launch(
            {**self.selector(job), "assetSelection": assets, "assetCheckSelection": checks},
            self.default_run_config(job) if run_config is None else run_config,
        )

    def launch(self, selector: Mapping[str, Any], run_config: Mapping[str, Any]) -> str:
        params = {"selector": dict(selector), "mode": "default", "runConfigData": dict(run_config)}
        launched = self.graphql(LAUNCH, {"executionParams": params})["launchPipelineExecution"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        return launched["run"]["runId"]

    def run(self, run_id: str) -> dict[str, Any]:
        return self.graphql(RUN, {"runId": run_id})["runOrError"]

    def wait_for_run(self, run_id: str, timeout: float, statuses: tuple[str, ...] = _ENDED) -> str:
        deadline, status = time.monotonic() + timeout, ""
        while time.monotonic() < deadline:
            status = self.run(run_id)["status"]
            if status in statuses:
                return status
            time.sleep(2)
        return status

    def run_failure(self, run_id: str) -> str:
        """The run's messages and the last of its worker's log: what a failed assertion should show."""
        events = self.run(run_id).get("eventConnection", {}).get("events", [])
        messages = "\n".join(e.get("message", "") for e in events if e.get("message"))[-6000:]
        worker = self.directory / "workers" / f"{run_id}.log"
        return messages + ("\n--- worker log ---\n" + worker.read_text()[-3000:] if worker.exists() else "")

    def check_executions(self, asset: list[str]) -> dict[str, dict[str, Any]]:
        """Per check of `asset`: blocking, and the execution for its latest materialization."""
        node = self.graphql(CHECKS, {"path": asset})["assetNodeOrError"]
        return {check["name"]: check for check in node["assetChecksOrError"]["checks"]}

    # ----- the rehearsal's AWS ----------------------------------------------------------------------------
    def client(self, service: str) -> Any:
        return boto3.client(
            service, region_name="af-south-1", endpoint_url=self.moto_url,
            aws_access_key_id="rehearsal", aws_secret_access_key="rehearsal",
        )  # fmt: skip

    def __enter__(self) -> DevWorld:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
