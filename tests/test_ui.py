"""The UI in a real browser: dagster-webserver on loopback, its GraphQL API, and headless Chromium.

The webserver loads the code location from workspace.yaml with the environments file, fixture roots and a
moto server given through environment variables, as a deployer's machine would give them. The run is
launched the way the UI's Materialize button launches it (launchPipelineExecution with an asset
selection) and executed by the default run launcher; no daemon is needed for a direct launch.
"""

from __future__ import annotations

import struct
import time
from pathlib import Path

import pytest

from credex_orchestration.deploy.config import deploy_run_config
from credex_orchestration.environments import COMPONENTS, load_environments

from .support.browser import Browser, ensure_chromium
from .support.deploys import fixture_deploy_overrides
from .support.environments import local_environments_file
from .support.moto import MotoServer
from .support.terraform_roots import FIXTURE_ROOTS_DIR as FIXTURE_ROOTS
from .support.webserver import LOCATION, REPOSITORY, Webserver

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parent.parent
ARTIFACTS = PROJECT / "test-artifacts"

LOADED = """
query Loaded {
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError { __typename ... on PythonError { message } }
      }
    }
  }
  repositoriesOrError {
    __typename
    ... on RepositoryConnection {
      nodes {
        name
        location { name }
        jobs { name tags { key value } }
        sensors { name sensorState { status } }
        schedules { name pipelineName }
        assetNodes {
          assetKey { path }
          groupName
          jobNames
          assetChecksOrError { __typename ... on AssetChecks { checks { name } } }
        }
      }
    }
  }
}
"""

RUN = """
query Run($runId: ID!) {
  runOrError(runId: $runId) { __typename ... on Run { status } }
}
"""

LATEST = """
query Latest($path: [String!]!) {
  assetOrError(assetKey: {path: $path}) {
    __typename
    ... on Asset { assetMaterializations(limit: 1) { runId } }
  }
}
"""


@pytest.fixture(scope="module")
def webserver(tmp_path_factory: pytest.TempPathFactory, hermetic_environment):
    tmp = tmp_path_factory.mktemp("ui")
    home = tmp / "dagster_home"
    home.mkdir()
    # Without a daemon, runs must launch directly: Dagster's default coordinator is the queue.
    (home / "dagster.yaml").write_text(
        "run_coordinator:\n  module: dagster.core.run_coordinator\n  class: DefaultRunCoordinator\n"
        "telemetry:\n  enabled: false\n"
    )
    environments_file = local_environments_file(tmp, fixture_deploy_overrides("development"))
    import os

    with MotoServer() as moto:
        env = {
            **os.environ,
            "DAGSTER_HOME": str(home),
            "CREDEX_ENVIRONMENTS_FILE": str(environments_file),
            "CREDEX_TERRAFORM_ROOTS": str(FIXTURE_ROOTS),
            "CREDEX_WORK_DIR": str(tmp / "work"),
            "AWS_ENDPOINT_URL": moto.endpoint_url,
        }
        with Webserver(PROJECT / "workspace.yaml", PROJECT, env, tmp / "webserver.log") as server:
            server.environments = load_environments(environments_file)
            yield server


def test_every_environment_is_loaded(webserver: Webserver) -> None:
    data = webserver.graphql(LOADED)
    [entry] = data["workspaceOrError"]["locationEntries"]
    assert entry["name"] == LOCATION and entry["loadStatus"] == "LOADED", entry
    assert entry["locationOrLoadError"]["__typename"] == "RepositoryLocation", entry
    [repository] = data["repositoriesOrError"]["nodes"]

    assets = {"/".join(node["assetKey"]["path"]): node for node in repository["assetNodes"]}
    jobs = {job["name"]: {tag["key"]: tag["value"] for tag in job["tags"]} for job in repository["jobs"]}
    sensors = {sensor["name"] for sensor in repository["sensors"]}
    schedules = {schedule["name"]: schedule["pipelineName"] for schedule in repository["schedules"]}
    assert assets and jobs and sensors

    for name in webserver.environments:
        assert jobs[f"deploy_{name}"]["credex/environment"] == name
        for component in COMPONENTS:
            node = assets[f"{name}/{component}"]
            assert node["groupName"] == name
            assert f"deploy_{name}" in node["jobNames"]
    assert "slack_on_run_failure" in sensors
    # Consistency of whatever else the code location defines: checks hang off loaded assets, schedules
    # target loaded jobs, every asset's jobs exist.
    for key, node in assets.items():
        assert node["assetChecksOrError"]["__typename"] == "AssetChecks", key
        assert set(node["jobNames"]) <= set(jobs), key
    assert set(schedules.values()) <= set(jobs), schedules


def test_materialize_development_like_the_ui_and_see_it_succeed(webserver: Webserver) -> None:
    development = webserver.environments["development"]
    run_id = webserver.launch(
        "deploy_development",
        deploy_run_config(development, git_sha="abc1234"),
        assets=[["development", component] for component in COMPONENTS],
        tags={"credex/sha": "abc1234"},
    )

    status, deadline = None, time.monotonic() + 300
    while time.monotonic() < deadline:
        status = webserver.graphql(RUN, {"runId": run_id})["runOrError"]["status"]
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        time.sleep(1)
    assert status == "SUCCESS", f"run {run_id} ended {status}\n{webserver.log_tail()}"
    for component in COMPONENTS:
        latest = webserver.graphql(LATEST, {"path": ["development", component]})["assetOrError"]
        assert latest["assetMaterializations"][0]["runId"] == run_id, component


def test_screenshot_of_the_asset_graph(webserver: Webserver, tmp_path: Path) -> None:
    reason = ensure_chromium()
    if reason:
        pytest.skip(reason)
    shot = ARTIFACTS / "asset-graph-development.png"
    with Browser(tmp_path / "chromium-profile", width=1600, height=1000) as browser:
        browser.open(f"{webserver.url}/locations/{REPOSITORY}@{LOCATION}/asset-groups/development")
        # The graph is drawn once its nodes carry the component names.
        browser.wait_for_texts("//*[self::div or self::span][text()]", set(COMPONENTS))
        # A first visit shows the "Join the Dagster community" dialog over the graph: skip it as a user would.
        browser.click_if_present("//button[normalize-space()='Skip']")
        time.sleep(2)  # let the layout settle (edges are drawn after the nodes)
        assert not browser.texts("//*[text()='Join the Dagster community']"), (
            "the dialog still covers the graph"
        )
        browser.screenshot(shot)

    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width == 1600 and 600 <= height <= 1000, (width, height)  # the viewport of a 1600x1000 window
    assert len(data) > 30_000, f"{shot} is only {len(data)} bytes: a blank page?"
