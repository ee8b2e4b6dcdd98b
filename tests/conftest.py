"""Shared fixtures: a hermetic process environment, Terraform on fixture roots, moto in server mode."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from credex_orchestration.resources import TerraformResource

from .support.environments import local_environments
from .support.moto import MotoServer
from .support.rehearsal import (  # noqa: F401  (session fixtures)
    rehearsal,
    rehearsal_development,
    rehearsal_staging,
)
from .support.terraform_roots import FIXTURE_ROOTS_DIR as FIXTURE_ROOTS


@pytest.fixture(scope="session", autouse=True)
def hermetic_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Own HOME and Terraform CLI config; no real AWS credentials or endpoints leak into tests."""
    home = tmp_path_factory.mktemp("home")
    cli_config = home / "terraformrc"
    cli_config.write_text("")
    with pytest.MonkeyPatch.context() as patch:
        for key in list(os.environ):
            if key.startswith(("TF_", "AWS_", "CREDEX_", "DAGSTER_")):
                patch.delenv(key)
        patch.setenv("HOME", str(home))
        patch.setenv("TF_CLI_CONFIG_FILE", str(cli_config))
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", "af-south-1")
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        # Any AWS call a test did not point at moto fails at once on loopback, never reaching out.
        patch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        patch.setenv("AWS_MAX_ATTEMPTS", "1")
        yield home


@pytest.fixture
def terraform(tmp_path: Path) -> TerraformResource:
    """The Terraform engine on the fixture roots, with its work dir in the test's temp dir."""
    return TerraformResource(roots_dir=str(FIXTURE_ROOTS), work_dir=str(tmp_path / "work"))


@pytest.fixture
def environments(tmp_path: Path):
    """The checked-in environments, with local-backend state in the test's temp dir.

    Post-deploy verification is off outside production: tests using this fixture deploy the fixture roots
    to set up state, with no ECS service or API behind them. The verification tests build their own
    environments with verification on (tests/test_verification_*.py); production cannot turn it off.
    """
    return local_environments(
        tmp_path,
        overrides={
            "development": {"verification.enabled": False},
            "staging": {"verification.enabled": False},
        },
    )


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """One moto server for the session; use `aws_endpoint` to get it reset for a test."""
    with MotoServer() as server:
        yield server


@pytest.fixture
def aws_endpoint(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """A clean moto, and AWS_ENDPOINT_URL pointing every boto3 client (and child process) at it."""
    moto_server.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.endpoint_url)
    return moto_server.endpoint_url
