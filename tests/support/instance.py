"""The production instance (deploy/dagster.yaml) made runnable here: real PostgreSQL, no ECS, no S3.

`local_copy` keeps the file's storage and run coordinator exactly as written and swaps only what needs AWS:
the ECS run launcher becomes the default launcher (a subprocess per run) and S3 compute logs become local
files. The tests therefore exercise the real file's storage and queue sections.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

PROJECT = Path(__file__).resolve().parents[2]
PRODUCTION_INSTANCE = PROJECT / "deploy" / "dagster.yaml"
POSTGRES = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


def production_config(path: Path = PRODUCTION_INSTANCE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def local_copy(compute_logs_dir: Path, source: Path = PRODUCTION_INSTANCE) -> dict[str, Any]:
    """deploy/dagster.yaml with the default run launcher and local compute logs; everything else as is."""
    config = production_config(source)
    assert config["run_launcher"]["class"] == "EcsRunLauncher", "deploy/dagster.yaml lost its ECS launcher"
    assert config["compute_logs"]["class"] == "S3ComputeLogManager", "deploy/dagster.yaml lost S3 logs"
    config["run_launcher"] = {"module": "dagster.core.launcher", "class": "DefaultRunLauncher"}
    config["compute_logs"] = {
        "module": "dagster.core.storage.local_compute_log_manager",
        "class": "LocalComputeLogManager",
        "config": {"base_dir": str(compute_logs_dir)},
    }
    return config


def write_dagster_home(home: Path, config: Mapping[str, Any]) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(yaml.safe_dump(dict(config), sort_keys=False))
    return home


def postgres_available() -> str | None:
    """None when PostgreSQL answers on 127.0.0.1:5432, else why not."""
    import psycopg2

    try:
        psycopg2.connect(dbname="postgres", connect_timeout=3, **POSTGRES).close()
    except psycopg2.OperationalError as error:
        return f"PostgreSQL on {POSTGRES['host']}:{POSTGRES['port']} is not reachable: {error}".strip()
    return None


@contextmanager
def fresh_database(prefix: str = "credex_test") -> Iterator[dict[str, str]]:
    """A new, empty database for one test run, dropped afterwards (with whatever still connects to it).

    Yields the environment variables deploy/dagster.yaml reads its connection from.
    """
    import psycopg2

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(dbname="postgres", **POSTGRES)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield {
            "DAGSTER_PG_HOST": POSTGRES["host"],
            "DAGSTER_PG_PORT": str(POSTGRES["port"]),
            "DAGSTER_PG_DB": name,
            "DAGSTER_PG_USERNAME": POSTGRES["user"],
            "DAGSTER_PG_PASSWORD": "",
        }
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def database_exists(name: str) -> bool:
    import psycopg2

    with psycopg2.connect(dbname="postgres", **POSTGRES) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        return cursor.fetchone() is not None


@contextmanager
def instance_at(home: Path) -> Iterator[DagsterInstance]:
    """The instance of the DAGSTER_HOME `home`, through Dagster's public `DagsterInstance.get()` (the variable
    is set for that call only)."""
    saved = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        instance = DagsterInstance.get()
    finally:
        if saved is None:
            del os.environ["DAGSTER_HOME"]
        else:
            os.environ["DAGSTER_HOME"] = saved
    with instance:
        yield instance


FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}


def wait_for_runs(
    instance: DagsterInstance, run_ids: list[str], *, timeout: float, daemon: subprocess.Popen, log: Path
) -> list:
    """The run records of `run_ids` once all have finished; fails when the daemon exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        records = instance.get_run_records(RunsFilter(run_ids=run_ids))
        if len(records) == len(run_ids) and all(r.dagster_run.status in FINISHED for r in records):
            return records
        if daemon.poll() is not None:
            raise AssertionError(
                f"dagster-daemon exited with {daemon.returncode}:\n{log.read_text()[-3000:]}"
            )
        time.sleep(1)
    statuses = {
        f"{r.dagster_run.job_name} {r.dagster_run.run_id}": r.dagster_run.status.value
        for r in instance.get_run_records(RunsFilter(run_ids=run_ids))
    }
    raise AssertionError(f"runs did not finish within {timeout} s: {statuses}\n{log.read_text()[-3000:]}")
