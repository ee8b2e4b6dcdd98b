"""The bootstrap and orchestrator roots: `terraform validate` with the real AWS provider, pinned and locked.

(Applied against moto by tests/test_day0.py.)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .support.orchestrator_world import PROJECT, cli_config, provider_mirror_problem

ROOTS = ["bootstrap", "orchestrator"]


@pytest.mark.parametrize("root", ROOTS)
def test_root_pins_the_provider_and_commits_its_lock(root: str) -> None:
    versions = (PROJECT / "terraform" / root / "versions.tf").read_text()
    assert re.search(r'version\s*=\s*"5\.100\.0"', versions), "pin hashicorp/aws to 5.100.0 (the mirror's)"
    lock = (PROJECT / "terraform" / root / ".terraform.lock.hcl").read_text()
    assert 'provider "registry.terraform.io/hashicorp/aws"' in lock and 'version     = "5.100.0"' in lock
    assert "h1:" in lock


@pytest.mark.parametrize("root", ROOTS)
def test_root_validates(root: str, tmp_path: Path) -> None:
    problem = provider_mirror_problem()
    if problem:
        pytest.fail(problem)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TF_")},
        "TF_CLI_CONFIG_FILE": str(cli_config(tmp_path)),
        "TF_DATA_DIR": str(tmp_path / "data"),
    }

    def terraform(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "credex_orchestration.lib.terraform_cli", f"-chdir={PROJECT / 'terraform' / root}", *args],
            env=env, capture_output=True, text=True,
        )  # fmt: skip

    init = terraform("init", "-backend=false", "-input=false", "-no-color", "-lockfile=readonly")
    assert init.returncode == 0, init.stdout + init.stderr
    validate = terraform("validate", "-no-color")
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert "The configuration is valid" in validate.stdout
