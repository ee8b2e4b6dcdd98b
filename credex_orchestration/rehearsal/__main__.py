"""`python -m credex_orchestration.rehearsal`: the local default, the real roots against emulated AWS.

Starts the rehearsal's moto on a free loopback port, prepares every environment of the environments file
in it (state bucket, hosted zone, Neo4j AMI), starts one loopback stand-in of the credex-core API per
environment, writes the rehearsal's environments file (the checked-in one with the stand-in as base URL,
the seeded AMI pinned, a first image tag, short roll-out waits and a notice naming all this), then runs
`dg dev` with placeholder AWS credentials and every endpoint pointed at moto. Everything it started
stops with it. Emulated AWS starts empty each time; Dagster's instance (DAGSTER_HOME) keeps its history.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from ..environments import PROJECT_ROOT, environments_file, load_environments
from . import seed
from .api_stand_in import ApiServer
from .environments_file import write_rehearsal_environments
from .moto_server import MotoProcess

DEFAULT_HOME = PROJECT_ROOT / ".credex" / "rehearsal"
PLACEHOLDER_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "rehearsal",
    "AWS_SECRET_ACCESS_KEY": "rehearsal",
    "AWS_SESSION_TOKEN": "",
    "AWS_PROFILE": "",
}


def rehearsal_process_env(moto_url: str, environments: Path, home: Path) -> dict[str, str]:
    """The orchestrator's environment: moto for every AWS client and the state backend, no real credentials."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "CREDEX_"))}
    env.update({key: value for key, value in PLACEHOLDER_CREDENTIALS.items() if value})
    env.update(
        AWS_ENDPOINT_URL=moto_url,
        AWS_DEFAULT_REGION="af-south-1",
        AWS_EC2_METADATA_DISABLED="true",
        CREDEX_STATE_S3_ENDPOINT=moto_url,
        CREDEX_ENVIRONMENTS_FILE=str(environments),
        CREDEX_WORK_DIR=str(home / "terraform"),
        CREDEX_MODE="rehearsal",
    )
    return env


def instance_file() -> Path:
    """The Dagster instance file put into DAGSTER_HOME: `CREDEX_INSTANCE_FILE`, else the project's dagster.yaml.

    Another file changes how runs are queued, launched and monitored (tests run the image's run worker this
    way), never where the rehearsal's AWS is.
    """
    path = Path(os.environ.get("CREDEX_INSTANCE_FILE") or PROJECT_ROOT / "dagster.yaml")
    if not path.is_file():
        raise SystemExit(f"CREDEX_INSTANCE_FILE: no instance file at {path}")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    parser.add_argument(
        "--home", type=Path, default=Path(os.environ.get("CREDEX_REHEARSAL_HOME", DEFAULT_HOME))
    )
    args = parser.parse_args(argv)
    home: Path = args.home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    dagster_home = Path(os.environ.get("DAGSTER_HOME") or PROJECT_ROOT / ".dagster_home").resolve()
    dagster_home.mkdir(parents=True, exist_ok=True)
    (dagster_home / "dagster.yaml").write_text(instance_file().read_text())

    environments = load_environments(environments_file())
    with ExitStack() as stack:
        moto = stack.enter_context(MotoProcess())
        amis, stand_ins = {}, {}
        for name, environment in environments.items():
            amis[name] = seed.prepare(environment, moto.endpoint_url)
            stand_ins[name] = stack.enter_context(ApiServer(node_env=environment.app.node_env)).url
        rehearsal_file = write_rehearsal_environments(home, environments, amis, stand_ins, moto.endpoint_url)
        env = rehearsal_process_env(moto.endpoint_url, rehearsal_file, home)
        env["DAGSTER_HOME"] = str(dagster_home)
        print(
            f"credex rehearsal: AWS is moto at {moto.endpoint_url} (nothing reaches real AWS); credex-core is a "
            f"loopback stand-in per environment ({', '.join(f'{n} {u}' for n, u in stand_ins.items())}); "
            f"environments file {rehearsal_file}; UI on http://{args.host}:{args.port}",
            flush=True,
        )
        command = [str(Path(sys.executable).with_name("dg")), "dev", "-h", args.host]
        child = subprocess.Popen([*command, "-p", str(args.port)], env=env, cwd=PROJECT_ROOT)

        def stop(signum: int, frame: object) -> None:
            child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while child.poll() is None:
            time.sleep(0.5)
        return child.returncode


if __name__ == "__main__":
    raise SystemExit(main())
