"""dagster-webserver as its own process on a free loopback port, and a small GraphQL client for it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .moto import free_port
from .processes import stop_tree

BIN = Path(sys.executable).parent
LOCATION = "credex_orchestration"  # workspace.yaml's location name
REPOSITORY = "__repository__"  # the repository Definitions make
# What the UI's Materialize and Launchpad send: launchPipelineExecution with ExecutionParams.
LAUNCH = """
mutation LaunchPipelineExecution($executionParams: ExecutionParams!) {
  launchPipelineExecution(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on PythonError { message stack }
    ... on InvalidSubsetError { message }
    ... on UnauthorizedError { message }
  }
}
"""


class GraphQLError(AssertionError):
    """The webserver answered a GraphQL request with errors."""


def graphql(url: str, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """POST one GraphQL request to the webserver at `url`; its data, or GraphQLError with its errors."""
    request = urllib.request.Request(
        f"{url}/graphql",
        data=json.dumps({"query": query, "variables": dict(variables or {})}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        answer = json.loads(response.read())
    if answer.get("errors"):
        raise GraphQLError(json.dumps(answer["errors"], indent=2)[:4000])
    return answer["data"]


class Webserver:
    """`dagster-webserver -w <workspace>` with its own environment; stopped with SIGTERM (then SIGKILL)."""

    def __init__(self, workspace: Path, cwd: Path, env: Mapping[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._args = [
            str(BIN / "dagster-webserver"),
            "-w",
            str(workspace),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
        ]
        self._cwd, self._env, self._log_path = cwd, dict(env), log
        self._process: subprocess.Popen | None = None
        self._log = None

    def start(self, timeout: float = 180) -> Webserver:
        self._log = self._log_path.open("w")
        self._process = subprocess.Popen(
            self._args, cwd=self._cwd, env=self._env, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"dagster-webserver exited with {self._process.returncode}:\n{self.log_tail()}"
                )
            try:
                urllib.request.urlopen(f"{self.url}/server_info", timeout=2).read()
                return self
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"dagster-webserver did not answer within {timeout} s:\n{self.log_tail()}")

    def log_tail(self, chars: int = 4000) -> str:
        return self._log_path.read_text()[-chars:] if self._log_path.exists() else ""

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return graphql(self.url, query, variables)

    def launch(
        self,
        job_name: str,
        run_config: Mapping[str, Any],
        assets: Sequence[Sequence[str]] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """Launch a run as the UI's Launchpad (or, with `assets`, its Materialize button) does; its run id.

        The instance's run coordinator takes it: with the QueuedRunCoordinator the run waits in the queue.
        """
        selector: dict[str, Any] = {
            "repositoryLocationName": LOCATION,
            "repositoryName": REPOSITORY,
            "pipelineName": job_name,
        }
        if assets is not None:
            selector.update(assetSelection=[{"path": list(key)} for key in assets], assetCheckSelection=[])
        params = {
            "selector": selector,
            "mode": "default",
            "runConfigData": dict(run_config),
            "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]},
        }
        launched = self.graphql(LAUNCH, {"executionParams": params})["launchPipelineExecution"]
        if launched["__typename"] != "LaunchRunSuccess":
            raise GraphQLError(f"launching {job_name}: {json.dumps(launched)[:4000]}")
        return launched["run"]["runId"]

    def stop(self) -> None:
        if self._process:
            stop_tree(self._process)
        if self._log:
            self._log.close()

    def __enter__(self) -> Webserver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# The latest materialisation of an asset with its metadata, as the asset page shows it.
METADATA = """
query Latest($path: [String!]!) {
  assetOrError(assetKey: {path: $path}) {
    ... on Asset {
      assetMaterializations(limit: 1) {
        runId
        timestamp
        metadataEntries {
          label
          __typename
          ... on MarkdownMetadataEntry { mdStr }
          ... on UrlMetadataEntry { url }
        }
      }
    }
  }
}
"""


RUN_EVENTS = """
query RunEvents($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run {
      status
      eventConnection(limit: 10000) {
        events {
          __typename
          ... on ErrorEvent { error { className message causes { message } } }
        }
      }
    }
  }
}
"""


def first_error(server: Webserver, run_id: str) -> dict[str, Any]:
    """The first event of the run that carries an error, as the run page lists it (type, class, message)."""
    run = server.graphql(RUN_EVENTS, {"runId": run_id})["runOrError"]
    assert run["__typename"] == "Run", run
    for event in run["eventConnection"]["events"]:
        if event.get("error"):
            return {"type": event["__typename"], **event["error"]}
    raise AssertionError(f"run {run_id} ({run['status']}) shows no error")
