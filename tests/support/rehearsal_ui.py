"""The rehearsal world in the UI: dagster-webserver on its DAGSTER_HOME and headless Chromium on its pages.

The webserver builds the code location from the world's environments file (CREDEX_ENVIRONMENTS_FILE), with
the real roots and the world's moto, as a deployer's machine would; it only reads what the world's runs
stored. Assertions are on the DOM's text and GraphQL, never on pixels; screenshots go to the test's tmp dir.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from credex_orchestration.environments import PROJECT_ROOT
from credex_orchestration.lib.redact import encodings

from .browser import Browser, ensure_chromium
from .webserver import METADATA, Webserver, first_error

CONSOLE = "https://af-south-1.console.aws.amazon.com/"
# The console links each component's materialisation carries (lib/console_links.py).
LINKS = {
    "connectors": ("vpc_console", "alb_console"),
    "databases": ("ami_console",),
    "app": ("ecs_service_console", "task_definition_console", "log_group_console", "ecr_image_console"),
}


@contextlib.contextmanager
def rehearsal_webserver(home: Path, environments_file: Path, moto_url: str) -> Iterator[Webserver]:
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home / "dagster_home"),
        "CREDEX_ENVIRONMENTS_FILE": str(environments_file),
        "CREDEX_TERRAFORM_ROOTS": str(PROJECT_ROOT / "terraform"),
        "CREDEX_WORK_DIR": str(home / "work"),
        "CREDEX_STATE_S3_ENDPOINT": moto_url,
        "AWS_ENDPOINT_URL": moto_url,
        "PYTHONPATH": str(PROJECT_ROOT),  # this checkout's package, whichever the venv installed
    }
    with Webserver(PROJECT_ROOT / "workspace.yaml", PROJECT_ROOT, env, home / "webserver.log") as server:
        yield server


@contextlib.contextmanager
def browser_session(profile: Path) -> Iterator[Browser]:
    reason = ensure_chromium()
    if reason:
        pytest.fail(f"headless Chromium is needed for this test: {reason}")
    with Browser(profile / "profile", width=1600, height=1200) as browser:
        yield browser


def latest_materialisation(server: Webserver, environment: str, component: str) -> dict:
    [latest] = server.graphql(METADATA, {"path": [environment, component]})["assetOrError"][
        "assetMaterializations"
    ]
    return {**latest, "entries": {entry["label"]: entry for entry in latest["metadataEntries"]}}


def assert_run_page_leads_with(
    server: Webserver,
    browser: Browser,
    run_id: str,
    parts: list[str],
    shot: Path,
    then: tuple[str, ...] = (),
) -> None:
    """The run's first error (GraphQL, as the run page lists its events) is the cause, whole, with the
    remedy: every part is in its message's first paragraph, which is not Dagster's wrapper, and `then` in the
    original message after it; the run page shows it."""
    error = first_error(server, run_id)
    lead = error["message"].split("\n\n")[0]
    missing = [part for part in parts if part not in lead]
    missing += [part for part in then if part not in error["message"]]
    assert not missing, f"{missing} not in the first error ({error['type']}):\n{error['message'][:3000]}"
    assert "Error occurred while executing" not in lead, lead
    browser.open(f"{server.url}/runs/{run_id}")
    browser.click_if_present("//button[normalize-space()='Skip']", timeout=5)
    browser.wait_for_body([parts[0]])
    browser.screenshot(shot)


def check_plan_and_links(
    server: Webserver, browser: Browser, tmp_path: Path, secrets: dict[str, str]
) -> None:
    """development's latest materialisations: the app's plan diff and every component's console links."""
    latest = {component: latest_materialisation(server, "development", component) for component in LINKS}
    run_id = latest["app"]["runId"]
    plan = latest["app"]["entries"]["plan"]["mdStr"]
    print(f"\nthe app's plan as the UI shows it:\n{plan[:3000]}")
    for expected in (
        "aws_ecs_task_definition.app",  # the new image: a new revision
        "cannot change in place",  # the replacement's reason
        "aws_cloudwatch_log_group.app",  # the drifted retention, put back
        "retention_in_days",
    ):
        assert expected in plan, f"{expected!r} not in the plan:\n{plan[:4000]}"
    for component, labels in LINKS.items():
        assert latest[component]["runId"] == run_id, (component, latest[component]["runId"], run_id)
        entries = latest[component]["entries"]
        for label in labels:
            assert entries[label]["__typename"] == "UrlMetadataEntry", (component, label)
            assert entries[label]["url"].startswith(CONSOLE), (component, label, entries[label]["url"])

    forms = {form for value in secrets.values() for form in encodings(value)}
    for component, labels in LINKS.items():
        # The materialisation's own event (later observations, e.g. the rollback's, are listed above it).
        when = latest[component]["timestamp"]
        browser.open(f"{server.url}/assets/development/{component}?view=events&time={when}")
        browser.click_if_present("//button[normalize-space()='Skip']", timeout=5)
        text = browser.wait_for_body([*labels, "plan"])
        browser.screenshot(tmp_path / f"{component}-links.png")
        assert not [form for form in forms if form in text], f"a secret is shown on {component}'s page"
        if component == "app":
            assert browser.click_if_present("//*[normalize-space(text())='[Show Markdown]']")
            text = browser.wait_for_body(["aws_ecs_task_definition.app", "cannot change in place"])
            assert "retention_in_days" in text and "aws_cloudwatch_log_group.app" in text
            assert not [form for form in forms if form in text], "a secret is shown in the plan"
            time.sleep(1)
            browser.screenshot(tmp_path / "app-plan-diff.png")
            browser.open("about:blank")
