"""The environments file: the checked-in one is valid; a bad one says file, environment and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from credex_orchestration import naming
from credex_orchestration.environments import (
    DEFAULT_ENVIRONMENTS_FILE,
    EnvironmentsFileError,
    UnknownEnvironmentError,
    load_environments,
)

from .support.environments import write_environments


def test_checked_in_file_describes_three_environments() -> None:
    environments = load_environments(DEFAULT_ENVIRONMENTS_FILE)
    assert list(environments) == ["development", "staging", "production"]
    production = environments["production"]
    assert production.branch == "prod" and production.auto_deploy
    assert production.neo4j.edition == "enterprise"
    assert {environments[n].neo4j.edition for n in ("development", "staging")} == {"community"}
    assert environments["development"].auto_deploy is False
    assert environments["staging"].network.vpc_cidr == "10.2.0.0/16"
    assert environments["development"].app.cpu == 256 and environments["development"].app.memory == 512
    assert all(env.aws.region == "af-south-1" for env in environments.values())
    assert all(env.state.bucket == naming.state_bucket(env) for env in environments.values())
    assert environments.by_branch("stage").name == "staging"


def test_a_fourth_environment_is_only_data(tmp_path: Path) -> None:
    def add(envs: dict) -> None:
        body = dict(envs["staging"])
        body.update(branch="model", domain="model.mycredex.dev", base_url="https://model.mycredex.dev")
        body["network"] = {"vpc_cidr": "10.3.0.0/16"}
        body["state"] = {"backend": "s3", "bucket": "credex-terraform-state-model-001"}
        envs["model_001"] = body

    environments = load_environments(write_environments(tmp_path, add))
    model = environments["model_001"]
    assert model.slug == "model-001"
    assert naming.alb(model) == "credex-alb-model-001"
    assert naming.neo4j_secret(model) == "neo4j_model_001_secrets"
    assert naming.workspace("app", model.name) == "app_model_001"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda e: e["staging"]["app"].update(cpu="lots"), ["'staging'", "'app.cpu'", "integer"]),
        (lambda e: e["staging"]["app"].update(cpu=256, memory=4096), ["'staging'", "'app'", "memory 4096"]),
        (lambda e: e["production"]["neo4j"].update(edition="gold"), ["'production'", "'neo4j.edition'"]),
        (lambda e: e["development"]["network"].update(vpc_cidr="10.1.0.0/8"), ["'network.vpc_cidr'"]),
        (lambda e: e["development"].pop("branch"), ["'development'", "'branch'", "Field required"]),
        (lambda e: e["development"].update(colour="blue"), ["'development'", "'colour'", "Extra inputs"]),
        (lambda e: e["staging"]["state"].pop("bucket"), ["'staging'", "'state'", "bucket is required"]),
        (lambda e: e["staging"].update(branch="prod"), ["'production'", "'branch'", "already used"]),
        (lambda e: e["staging"]["aws"].update(account_id="12"), ["'staging'", "'aws.account_id'"]),
        (lambda e: e.update({"Bad-Name": e["staging"]}), ["'Bad-Name'", "name must be"]),
    ],
)
def test_bad_file_names_file_environment_and_field(tmp_path: Path, mutate, expected: list[str]) -> None:
    path = write_environments(tmp_path, mutate)
    with pytest.raises(EnvironmentsFileError) as error:
        load_environments(path)
    message = str(error.value)
    assert str(path) in message
    for part in expected:
        assert part in message


def test_malformed_and_missing_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("environments: [unclosed\n")
    with pytest.raises(EnvironmentsFileError, match="not valid YAML"):
        load_environments(broken)
    with pytest.raises(EnvironmentsFileError, match="not found"):
        load_environments(tmp_path / "absent.yaml")
    empty = tmp_path / "empty.yaml"
    empty.write_text("environments: {}\n")
    with pytest.raises(EnvironmentsFileError, match="no environments"):
        load_environments(empty)


def test_unknown_environment_names_the_known_ones() -> None:
    environments = load_environments(DEFAULT_ENVIRONMENTS_FILE)
    with pytest.raises(UnknownEnvironmentError) as error:
        environments["prodution"]
    assert "prodution" in str(error.value) and "production" in str(error.value)
