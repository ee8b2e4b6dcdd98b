"""Benchmark 4: sensor ticks that find nothing new, counted on the wire.

Branch sensor: a local bare repository with the three branches; every `git` the tick runs goes through a
counting shim on PATH, so round trips are git commands that reach the remote (ls-remote, fetch). Release
sensor: a loopback HTTP server with ETag support serves a `Packages` index and counts requests and body bytes;
an unchanged index must cost 0 body bytes (304). The world's environments have no DCO quiet window: a tick
inside one skips git altogether, so it would measure nothing; a tick that never reaches the remote fails.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from dagster import DagsterInstance, build_sensor_context

from credex_orchestration.environments import load_environments
from credex_orchestration.images.settings import Neo4jImagesResource
from credex_orchestration.notifications.slack import SlackNotifier
from credex_orchestration.resources import AwsResource
from credex_orchestration.triggers import branch_push, neo4j_release, resources

from .measure import figure, ok
from .world import World

REMOTE_COMMANDS = ("ls-remote", "fetch", "clone", "pull")
PACKAGES = (
    '<metadata xmlns="http://linux.duke.edu/metadata/common" packages="6">'
    + "".join(
        f'<package type="rpm"><name>{name}</name><version epoch="0" ver="{version}" rel="1"/></package>'
        for name in ("neo4j", "neo4j-enterprise")
        for version in ("5.26.10", "5.26.12", "2025.01.0")
    )
    + "</metadata>"
)


# ----- git --------------------------------------------------------------------------------------------------
def _git(*args: str, cwd: Path | None = None) -> str:
    command = ["git", "-c", "user.name=bench", "-c", "user.email=bench@credex.local", *args]
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True).stdout


def _repository(root: Path) -> Path:
    """A bare credex-core stand-in with dev, stage and prod at one commit."""
    bare, work = root / "credex-core.git", root / "credex-core"
    _git("init", "--bare", "--quiet", "-b", "dev", str(bare))
    _git("init", "--quiet", "-b", "dev", str(work))
    (work / "src").mkdir()
    (work / "src" / "index.ts").write_text("export {};\n")
    _git("add", ".", cwd=work)
    _git("commit", "--quiet", "-m", "first", cwd=work)
    for branch in ("dev", "stage", "prod"):
        _git("push", "--quiet", str(bare), f"HEAD:refs/heads/{branch}", cwd=work)
    return bare


def _git_shim(root: Path) -> tuple[Path, Path]:
    """A `git` on PATH that logs its subcommand, then runs the real git."""
    real = subprocess.run(["which", "git"], check=True, capture_output=True, text=True).stdout.strip()
    shim_dir, log = root / "git-shim", root / "git-calls.log"
    shim_dir.mkdir()
    shim = shim_dir / "git"
    shim.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{real}" "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    return shim_dir, log


def _calls(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def branch_tick(world: World, repeats: int) -> dict[str, Any]:
    root = world.fresh("branch-sensor")
    bare = _repository(root)
    shim_dir, log = _git_shim(root)
    environment = load_environments(world.environments_file)["staging"]
    sensor = branch_push.build_sensor(environment)
    repository = resources.CredexCoreRepository(url=str(bare), cache_dir=str(root / "cache"))
    aws = AwsResource(endpoint_url=world.endpoint_url)
    old_path = os.environ["PATH"]
    os.environ["PATH"] = f"{shim_dir}{os.pathsep}{old_path}"
    walls, trips, processes = [], [], []
    try:
        with DagsterInstance.ephemeral() as instance:

            def tick(cursor: str | None):
                context = build_sensor_context(
                    instance=instance,
                    cursor=cursor,
                    resources={"credex_core": repository, "aws": aws, "slack": SlackNotifier()},
                )
                result = sensor(context)
                return getattr(result, "cursor", None) or context.cursor

            cursor = tick(None)  # the first tick records the tips: after it, nothing is new
            for _ in range(repeats):
                log.unlink(missing_ok=True)
                start = time.perf_counter()
                cursor = tick(cursor)
                walls.append(time.perf_counter() - start)
                calls = _calls(log)
                processes.append(len(calls))
                trips.append(sum(1 for call in calls if any(c in call.split() for c in REMOTE_COMMANDS)))
    finally:
        os.environ["PATH"] = old_path
    if min(trips) < 1:
        raise RuntimeError(f"a branch-sensor tick reached the remote {min(trips)} times: it measured nothing")
    return {
        "branch_sensor": ok(
            {"tick": figure(walls, "s"), "round_trips": figure(trips, "count", 0)},
            git_processes=figure(processes, "count", 0),
            target_round_trips=1,
            meets_target=max(trips) <= 1,
        )
    }


# ----- HTTP -------------------------------------------------------------------------------------------------
class _IndexServer(ThreadingHTTPServer):
    """An RPM repository's metadata: `repodata/repomd.xml` (ETag, Last-Modified) naming one primary index;
    counts requests and body bytes sent."""

    def __init__(self, primary: str) -> None:
        self.primary = primary.encode()
        checksum = hashlib.sha256(self.primary).hexdigest()
        self.primary_path = f"/stable/repodata/{checksum}-primary.xml"
        self.body = (
            '<repomd xmlns="http://linux.duke.edu/metadata/repo"><data type="primary">'
            f'<checksum type="sha256">{checksum}</checksum><location href="repodata/{checksum}-primary.xml"/>'
            "</data></repomd>"
        ).encode()
        self.etag = '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'
        self.last_modified = "Sat, 01 Nov 2026 00:00:00 GMT"
        self.requests = 0
        self.body_bytes = 0
        super().__init__(("127.0.0.1", 0), _IndexHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/stable"


class _IndexHandler(BaseHTTPRequestHandler):
    server: _IndexServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.server.requests += 1
        if self.path == self.server.primary_path:
            self.send_response(200)
            self.send_header("Content-Length", str(len(self.server.primary)))
            self.end_headers()
            self.wfile.write(self.server.primary)
            self.server.body_bytes += len(self.server.primary)
            return
        if self.headers.get("If-None-Match") == self.server.etag:
            self.send_response(304)
            self.send_header("ETag", self.server.etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("ETag", self.server.etag)
        self.send_header("Last-Modified", self.server.last_modified)
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)
        self.server.body_bytes += len(self.server.body)

    def log_message(self, *args: Any) -> None:
        pass


def release_tick(world: World, repeats: int) -> dict[str, Any]:
    server = _IndexServer(PACKAGES)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    walls, requests, body_bytes = [], [], []
    try:
        sensor, _jobs = neo4j_release.build_sensor(load_environments(world.environments_file))
        index = resources.Neo4jPackageIndex(url=server.url)
        with DagsterInstance.ephemeral() as instance:

            def tick(cursor: str | None):
                context = build_sensor_context(
                    instance=instance,
                    cursor=cursor,
                    resources={
                        "neo4j_packages": index,
                        "neo4j_images": Neo4jImagesResource(repository_url=server.url),
                    },
                )
                result = sensor(context)
                return getattr(result, "cursor", None) or context.cursor

            cursor = tick(None)  # the first tick reads the body and keeps its ETag
            for _ in range(repeats):
                before_requests, before_bytes = server.requests, server.body_bytes
                start = time.perf_counter()
                cursor = tick(cursor)
                walls.append(time.perf_counter() - start)
                requests.append(server.requests - before_requests)
                body_bytes.append(server.body_bytes - before_bytes)
    finally:
        server.shutdown()
        server.server_close()
    return {
        "release_sensor": ok(
            {
                "tick": figure(walls, "s"),
                "requests": figure(requests, "count", 0),
                "body_bytes": figure(body_bytes, "bytes", 0),
            },
            target_body_bytes=0,
            meets_target=max(body_bytes) == 0,
        )
    }
