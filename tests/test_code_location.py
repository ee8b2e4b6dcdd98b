"""The code location as the dagster CLI loads it: valid as checked in, a clear failure on a bad file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .support.environments import write_environments

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _cli(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir(exist_ok=True)
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return subprocess.run(
        args,
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "DAGSTER_HOME": str(dagster_home), **env},
    )


@pytest.mark.slow
def test_definitions_validate_and_dg_check_pass(tmp_path: Path) -> None:
    validate = _cli([str(BIN / "dagster"), "definitions", "validate", "-w", "workspace.yaml"], tmp_path)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert "All code locations passed validation" in validate.stdout + validate.stderr
    check = _cli([str(BIN / "dg"), "check", "defs"], tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "All definitions loaded successfully" in check.stdout + check.stderr


@pytest.mark.slow
def test_bad_environments_file_fails_validate_naming_file_environment_and_field(tmp_path: Path) -> None:
    bad = write_environments(tmp_path, lambda envs: envs["staging"]["app"].update(desired_count=-1))
    result = _cli(
        [str(BIN / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        tmp_path,
        CREDEX_ENVIRONMENTS_FILE=str(bad),
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert str(bad) in output and "'staging'" in output and "'app.desired_count'" in output
