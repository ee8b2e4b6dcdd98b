"""The README's first command: `bash scripts/dev` starts `dg dev` on loopback with a SQLite instance."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from .support.moto import free_port

PROJECT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_scripts_dev_serves_the_ui_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    home = tmp_path / "dagster_home"
    process = subprocess.Popen(
        ["bash", "scripts/dev"],
        cwd=PROJECT,
        env={**os.environ, "PORT": str(port), "DAGSTER_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        info = None
        while time.monotonic() < deadline and info is None:
            assert process.poll() is None, "dg dev exited early"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2) as answer:
                    info = json.loads(answer.read())
            except OSError:
                time.sleep(0.5)
        assert info is not None, "the UI did not answer within 120 s"
        assert "dagster_webserver_version" in info
        query = json.dumps(
            {
                "query": "{ repositoriesOrError { ... on RepositoryConnection { nodes { name jobs { name } } } } }"
            }
        )
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/graphql",
            data=query.encode(),
            headers={"Content-Type": "application/json"},
        )
        deadline = time.monotonic() + 60
        jobs: set[str] = set()
        while time.monotonic() < deadline and "deploy_production" not in jobs:
            with urllib.request.urlopen(request, timeout=10) as answer:
                nodes = json.loads(answer.read())["data"]["repositoriesOrError"].get("nodes", [])
            jobs = {job["name"] for node in nodes for job in node["jobs"]}
            time.sleep(0.5)
        assert {"deploy_development", "deploy_staging", "deploy_production"} <= jobs
        # The local default instance: SQLite storage under DAGSTER_HOME.
        assert (home / "dagster.yaml").exists()
        assert list(home.rglob("*.db")), "no SQLite database under DAGSTER_HOME"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
