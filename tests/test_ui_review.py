"""What a deployer sees in the UI: the plan diff of a change and the console links, in headless Chromium.

dagster-webserver on loopback with a fresh DAGSTER_HOME loads the code location; development's connectors
root is a small root of real AWS resources (tests/support/aws_provider.py) planned by the real hashicorp/aws
provider against moto. Two runs are launched as the UI launches them: the first creates the resources, the
second changes them (a security group replaced, an ECR repository and a SecureString parameter updated).
The second materialisation's plan and links are screenshotted. The same fresh instance shows every
schedule and sensor stopped.
"""

from __future__ import annotations

import os
import shutil
import struct
import time
from pathlib import Path

import pytest

from credex_orchestration.deploy.config import deploy_run_config
from credex_orchestration.environments import load_environments

from .conftest import FIXTURE_ROOTS
from .support.aws_provider import PARAMETER_SECRETS, provider_cli_config, write_connectors_root
from .support.browser import Browser, ensure_chromium
from .support.deploys import fixture_deploy_overrides
from .support.environments import local_environments_file
from .support.moto import MotoServer
from .support.webserver import METADATA, Webserver
from .test_ui import RUN

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parent.parent
ARTIFACTS = PROJECT / "test-artifacts"

STATES = """
query States {
  repositoriesOrError {
    ... on RepositoryConnection {
      nodes {
        sensors { name sensorState { status } }
        schedules { name scheduleState { status } }
      }
    }
  }
}
"""


def _launch_connectors(server: Webserver) -> str:
    development = server.environments["development"]
    run_id = server.launch(
        "deploy_development",
        deploy_run_config(development, ["connectors"]),
        assets=[["development", "connectors"]],
    )
    status, deadline = None, time.monotonic() + 300
    while time.monotonic() < deadline:
        status = server.graphql(RUN, {"runId": run_id})["runOrError"]["status"]
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        time.sleep(1)
    assert status == "SUCCESS", f"run {run_id} ended {status}\n{server.log_tail()}"
    return run_id


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory, hermetic_environment):
    tmp = tmp_path_factory.mktemp("ui-review")
    home = tmp / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        "run_coordinator:\n  module: dagster.core.run_coordinator\n  class: DefaultRunCoordinator\n"
        "telemetry:\n  enabled: false\n"
    )
    roots = tmp / "roots"
    shutil.copytree(FIXTURE_ROOTS, roots)
    shutil.rmtree(roots / "connectors")
    write_connectors_root(roots / "connectors", revision=1)
    environments_file = local_environments_file(tmp, fixture_deploy_overrides("development"))
    with MotoServer() as moto:
        env = {
            **os.environ,
            "DAGSTER_HOME": str(home),
            "CREDEX_ENVIRONMENTS_FILE": str(environments_file),
            "CREDEX_TERRAFORM_ROOTS": str(roots),
            "CREDEX_WORK_DIR": str(tmp / "work"),
            "AWS_ENDPOINT_URL": moto.endpoint_url,
            "TF_CLI_CONFIG_FILE": str(provider_cli_config(tmp / "cli")),
        }
        with Webserver(PROJECT / "workspace.yaml", PROJECT, env, tmp / "webserver.log") as server:
            server.environments = load_environments(environments_file)
            states = server.graphql(STATES)  # before anything ran: the fresh instance's view
            _launch_connectors(server)
            write_connectors_root(roots / "connectors", revision=2)
            run_id = _launch_connectors(server)
            yield server, run_id, states


def test_a_fresh_instance_has_every_schedule_and_sensor_off(reviewed) -> None:
    _, _, states = reviewed
    [repository] = states["repositoriesOrError"]["nodes"]
    assert repository["schedules"] and repository["sensors"]
    running = [s["name"] for s in repository["schedules"] if s["scheduleState"]["status"] != "STOPPED"]
    running += [s["name"] for s in repository["sensors"] if s["sensorState"]["status"] != "STOPPED"]
    assert running == []


def test_the_materialisation_carries_the_plan_and_the_links(reviewed) -> None:
    server, run_id, _ = reviewed
    [latest] = server.graphql(METADATA, {"path": ["development", "connectors"]})["assetOrError"][
        "assetMaterializations"
    ]
    assert latest["runId"] == run_id
    entries = {entry["label"]: entry for entry in latest["metadataEntries"]}
    assert entries["plan"]["__typename"] == "MarkdownMetadataEntry"
    assert "`description` cannot change in place" in entries["plan"]["mdStr"]
    for label in ("vpc_console", "alb_console", "ecr_image_console"):
        assert entries[label]["__typename"] == "UrlMetadataEntry", label
        assert entries[label]["url"].startswith("https://af-south-1.console.aws.amazon.com/"), label
    for secret in PARAMETER_SECRETS.values():
        assert secret not in str(latest) and secret not in server.log_tail(10**7)


def _png_size(path: Path) -> tuple[int, int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height, len(data)


def test_screenshot_of_the_plan_diff_and_the_links(reviewed, tmp_path: Path) -> None:
    reason = ensure_chromium()
    if reason:
        pytest.fail(f"headless Chromium is needed for this test: {reason}")
    server, run_id, _ = reviewed
    links_shot = ARTIFACTS / "connectors-plan-links-development.png"
    plan_shot = ARTIFACTS / "connectors-plan-diff-development.png"
    with Browser(tmp_path / "chromium-profile", width=1600, height=1200) as browser:
        browser.open(f"{server.url}/assets/development/connectors?view=events")
        browser.click_if_present("//button[normalize-space()='Skip']", timeout=5)
        # The event's metadata table lists the links by label, the plan behind its "Show" button.
        browser.wait_for_texts("//*[text()]", {"vpc_console", "alb_console", "plan"})
        time.sleep(1)
        browser.screenshot(links_shot)
        assert browser.click_if_present("//*[normalize-space(text())='[Show Markdown]']")
        texts = browser.wait_for_texts("//*[text()]", {"aws_security_group.alb"})
        body = " ".join(texts)
        assert "cannot change in place" in body and "IMMUTABLE" in body and "(sensitive)" in body
        time.sleep(1)
        browser.screenshot(plan_shot)
    for shot in (links_shot, plan_shot):
        width, height, size = _png_size(shot)
        assert width == 1600 and size > 30_000, (shot, width, height, size)
