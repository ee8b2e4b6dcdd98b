"""The image's build script and entrypoints, run here the way the Dockerfile and ECS run them.

`deploy/image/build.sh` builds into a temporary prefix (the Dockerfile runs the same script into
/opt/credex); then every entrypoint starts from that prefix against PostgreSQL: the code server, the
webserver and the daemon, and a deploy submitted with `dagster job launch` (as day 0 does) goes through the
production instance's queue to a run worker started like ECS starts the run-worker task
(tests/support/task_launcher.py). The deploy runs the fixture roots with local state; the real roots on the
shared rehearsal world are the lead's next step (see docs/decisions/0130).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterRunStatus, RunsFilter
from packaging.requirements import Requirement

from credex_orchestration.deploy.config import deploy_run_config
from credex_orchestration.environments import load_environments
from credex_orchestration.resources import TerraformResource

from .conftest import FIXTURE_ROOTS
from .support.deploys import fixture_deploy_overrides
from .support.environments import local_environments_file
from .support.instance import (
    fresh_database,
    instance_at,
    postgres_available,
    production_config,
    write_dagster_home,
)
from .support.moto import free_port
from .support.orchestrator_world import PROJECT, PROVIDER_MIRROR, provider_mirror_problem
from .support.processes import stop_tree

pytestmark = pytest.mark.slow
LOCK = PROJECT / "deploy" / "image" / "requirements.lock"


def test_lock_pins_every_dependency_of_the_package() -> None:
    locked = dict(re.findall(r"^([A-Za-z0-9_.-]+)==([^ \\\n]+)", LOCK.read_text(), re.M))
    locked = {name.lower().replace("_", "-"): version for name, version in locked.items()}
    pyproject = (PROJECT / "pyproject.toml").read_text()
    block = re.search(r"^dependencies = \[(.*?)^\]", pyproject, re.M | re.S).group(1)
    for line in re.findall(r'"([^"]+)"', block):
        requirement = Requirement(line)
        name = requirement.name.lower().replace("_", "-")
        assert name in locked, f"{name} is not in {LOCK.name}: regenerate it (command at its top)"
        assert requirement.specifier.contains(locked[name]), (
            f"{LOCK.name} pins {name}=={locked[name]}, pyproject wants {requirement}"
        )
    assert "--hash=sha256:" in LOCK.read_text()
    assert "moto" not in locked and "ruff" not in locked, "test extras in the image's lock"


@pytest.fixture(scope="module")
def prefix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    problem = provider_mirror_problem()
    if problem:
        pytest.fail(problem)
    target = tmp_path_factory.mktemp("image") / "opt-credex"
    env = {
        **os.environ,
        "CREDEX_PROVIDER_MIRROR": str(PROVIDER_MIRROR),
        "UV_CACHE_DIR": os.environ.get("UV_CACHE_DIR") or str(PROJECT / ".credex" / "uv-cache"),
    }
    result = subprocess.run(
        ["sh", str(PROJECT / "deploy" / "image" / "build.sh"), str(target)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"build.sh failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return target


def test_build_puts_only_the_locked_providers_in_a_mirror_used_offline(prefix: Path, tmp_path: Path) -> None:
    providers = sorted(
        p.relative_to(prefix / "terraform" / "providers")
        for p in (prefix / "terraform" / "providers").glob("*/*/*/*")
    )
    assert providers == [Path("registry.terraform.io/hashicorp/aws/5.100.0")], providers
    config = (prefix / "terraform" / "cli.tfrc").read_text()
    assert "filesystem_mirror" in config and "direct" not in config and "network_mirror" not in config
    # Through the entrypoint (its TF_CLI_CONFIG_FILE), with no registry reachable: init takes the mirror.
    root = prefix / "app" / "terraform" / "orchestrator"
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "TF_DATA_DIR": str(tmp_path / "tf"),
        "HTTPS_PROXY": "http://127.0.0.1:9",
    }
    result = subprocess.run(
        [str(prefix / "bin" / "credex-entrypoint"), "python", "-m", "credex_orchestration.lib.terraform_cli",
         f"-chdir={root}", "init", "-backend=false", "-input=false", "-no-color", "-lockfile=readonly"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Installed hashicorp/aws v5.100.0" in result.stdout


def test_build_leaves_no_secret_and_no_test_tooling(prefix: Path) -> None:
    venv_bin = {p.name for p in (prefix / "venv" / "bin").iterdir()}
    assert {"dagster", "dagster-webserver", "dagster-daemon", "dg"} <= venv_bin
    assert "moto_server" not in venv_bin and "ruff" not in venv_bin and "uv" not in venv_bin
    for path in (prefix / "app").rglob("*"):
        assert not re.search(r"\.tfstate|\.tfvars|credentials|\.pem$|\.env$", path.name), path


def _wait(predicate, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"{what} within {timeout} s:\n{log.read_text()[-3000:]}")


def _healthy(prefix: Path, env: dict[str, str], port: int) -> bool:
    return subprocess.run(
        [str(prefix / "bin" / "credex-entrypoint"), "dagster", "api", "grpc-health-check", "-p", str(port)],
        env=env, capture_output=True,
    ).returncode == 0  # fmt: skip


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    return json.loads(urllib.request.urlopen(request, timeout=10).read())


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen]]:
    started: list[subprocess.Popen] = []
    yield started
    for process in reversed(started):
        stop_tree(process)


def test_every_entrypoint_runs_and_a_deploy_goes_through_queue_and_run_worker(
    prefix: Path,
    tmp_path: Path,
    aws_endpoint: str,
    processes: list[subprocess.Popen],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reason = postgres_available()
    if reason:
        pytest.fail(f"{reason} (start PostgreSQL on 127.0.0.1:5432 with trust auth)")
    environments_file = local_environments_file(tmp_path, fixture_deploy_overrides("development"))
    entrypoint = str(prefix / "bin" / "credex-entrypoint")
    with fresh_database("credex_image") as database:
        code_port, web_port = free_port(), free_port()
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path / "home"),
            "PYTHONPATH": str(PROJECT),  # only for tests.support.task_launcher, the stand-in for ECS
            "CREDEX_CODE_SERVER_PORT": str(code_port),
            "CREDEX_ENVIRONMENTS_FILE": str(environments_file),
            "CREDEX_TERRAFORM_ROOTS": str(FIXTURE_ROOTS),
            "CREDEX_WORK_DIR": str(tmp_path / "work"),
            "AWS_ENDPOINT_URL": aws_endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "af-south-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            **database,
        }
        for name, value in database.items():
            monkeypatch.setenv(name, value)  # this test reads the run records through the same instance file
        (tmp_path / "home").mkdir()
        worker_env = tmp_path / "run-task-env.json"
        worker_env.write_text(json.dumps(env))
        # The image's instance file, its launcher swapped for the ECS stand-in and its logs kept locally.
        config = production_config(prefix / "dagster_home" / "dagster.yaml")
        assert config["run_launcher"]["class"] == "EcsRunLauncher"
        config["run_launcher"] = {
            "module": "tests.support.task_launcher",
            "class": "EntrypointRunLauncher",
            "config": {
                "entrypoint": entrypoint,
                "env_file": str(worker_env),
                "log_dir": str(tmp_path / "workers"),
            },
        }
        config["compute_logs"] = {
            "module": "dagster.core.storage.local_compute_log_manager",
            "class": "LocalComputeLogManager",
            "config": {"base_dir": str(tmp_path / "compute_logs")},
        }
        home = write_dagster_home(tmp_path / "dagster_home", config)
        env["DAGSTER_HOME"] = str(home)
        worker_env.write_text(json.dumps(env))

        def start(name: str, *args: str) -> Path:
            log = tmp_path / f"{name}.log"
            processes.append(
                subprocess.Popen(
                    [entrypoint, *args], env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, cwd="/"
                )
            )
            return log

        code_log = start("code-server", "code-server")
        _wait(lambda: _healthy(prefix, env, code_port), 120, "the code server did not answer", code_log)
        web_log = start("webserver", "webserver", "-p", str(web_port))
        daemon_log = start("daemon", "daemon")

        def location_loaded() -> bool:
            try:
                data = _graphql(
                    web_port,
                    "{ workspaceOrError { ... on Workspace { locationEntries { name locationOrLoadError { __typename } } } } }",
                )
            except OSError:
                return False
            entries = data["data"]["workspaceOrError"]["locationEntries"]
            return [(e["name"], e["locationOrLoadError"]["__typename"]) for e in entries] == [
                ("credex_orchestration", "RepositoryLocation")
            ]

        _wait(
            location_loaded, 120, "the webserver did not load the code location from the code server", web_log
        )

        environment = load_environments(environments_file)["development"]
        launch = subprocess.run(
            [entrypoint, "dagster", "job", "launch", "-w", str(prefix / "workspace.yaml"), "-j", "deploy_development",
             "--config-json", json.dumps(deploy_run_config(environment, git_sha="1a6e001"))],
            env=env, capture_output=True, text=True, cwd="/",
        )  # fmt: skip
        assert launch.returncode == 0, launch.stdout + launch.stderr

        with instance_at(home) as instance:

            def finished() -> bool:
                runs = instance.get_runs(RunsFilter(job_name="deploy_development"))
                return bool(runs) and runs[0].status in (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE)

            _wait(finished, 300, "the deploy did not finish", daemon_log)
            (run,) = instance.get_runs(RunsFilter(job_name="deploy_development"))
            worker_log = tmp_path / "workers" / f"{run.run_id}.log"
            assert run.status == DagsterRunStatus.SUCCESS, (
                worker_log.read_text()[-3000:] if worker_log.exists() else run
            )
            assert instance.get_daemon_heartbeats(), "the daemon wrote no heartbeat"
        command = json.loads((tmp_path / "workers" / f"{run.run_id}.command").read_text())
        assert command[:4] == [entrypoint, "dagster", "api", "execute_run"]

    terraform = TerraformResource(roots_dir=str(FIXTURE_ROOTS), work_dir=str(tmp_path / "work"))
    assert terraform.workspace(environment, "app").outputs()["image_tag"].value == "1a6e001"
