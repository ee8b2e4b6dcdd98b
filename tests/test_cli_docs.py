"""Every CLI block of the README and the deployer's guide marked `<!-- cli-test -->` runs as written.

Each block runs with bash (`set -euo pipefail`) in a fresh copy of the repository (its tracked and new
files, as a clone has them; `.venv` linked, as `bash scripts/install` would leave it). What the copy cannot
have is given the documented way, through the variables the code location reads: the environments file
with local state, the fixture Terraform roots, moto as AWS. The run must land in the instance the block
names (the one `bash scripts/dev` serves), succeed, and no command may print a supersession warning.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus

from .conftest import FIXTURE_ROOTS
from .support.deploys import fixture_deploy_overrides
from .support.environments import local_environments_file

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parent.parent
DOCS = ("README.md", "docs/deployers-guide.md")
_BLOCK = re.compile(r"<!-- cli-test -->\s*\n```bash\n(?P<body>.*?)```", re.S)


def cli_blocks() -> list[tuple[str, str]]:
    blocks = []
    for doc in DOCS:
        found = _BLOCK.findall((PROJECT / doc).read_text())
        assert found, f"{doc} has no block marked <!-- cli-test -->"
        blocks += [(f"{doc}#{index}", body) for index, body in enumerate(found)]
    return blocks


def installed_venv() -> Path:
    """The project's .venv, installed for this pyproject.toml: the copy's `bash scripts/install` is then a
    no-op. Otherwise it would reinstall the shared .venv from the temporary copy (and break it)."""
    venv = PROJECT / ".venv"
    stamp = venv / ".credex-installed"
    want = hashlib.sha256((PROJECT / "pyproject.toml").read_bytes()).hexdigest()
    if not stamp.is_file() or stamp.read_text().strip() != want:
        pytest.fail(
            "`.venv` is not installed for the current pyproject.toml: run `bash scripts/install` first"
        )
    return venv


def fresh_copy(target: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = PROJECT / name.decode()
        if source.is_file():
            (target / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name.decode())
    (target / ".venv").symlink_to(installed_venv())
    return target


@pytest.mark.parametrize(("where", "block"), cli_blocks(), ids=[where for where, _ in cli_blocks()])
def test_the_documented_cli_block_runs_as_written(
    where: str, block: str, tmp_path: Path, aws_endpoint
) -> None:
    clone = fresh_copy(tmp_path / "clone")
    environments = local_environments_file(tmp_path, fixture_deploy_overrides("development"))
    env = {key: value for key, value in os.environ.items() if key != "DAGSTER_HOME"}
    env.update(
        CREDEX_ENVIRONMENTS_FILE=str(environments),
        CREDEX_TERRAFORM_ROOTS=str(FIXTURE_ROOTS),
        CREDEX_WORK_DIR=str(tmp_path / "work"),
        AWS_ENDPOINT_URL=aws_endpoint,
    )
    result = subprocess.run(
        ["bash", "-c", f"set -euo pipefail\n{block}"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{where} failed:\n{output[-4000:]}"
    assert "superseded" not in output.lower(), f"{where} prints a supersession warning:\n{output[-2000:]}"
    assert "git_sha: abc1234" in (clone / "run_config.yaml").read_text()

    with DagsterInstance.from_config(str(clone / ".dagster_home")) as instance:
        [record] = instance.get_run_records()
        assert record.dagster_run.job_name == "deploy_development"
        assert record.dagster_run.status == DagsterRunStatus.SUCCESS
