"""Where the engine gets Terraform providers: the mirror found automatically, its CLI configuration, and a
clear failure when there is neither a mirror nor the registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from credex_orchestration.environments import load_environments
from credex_orchestration.lib import terraform_providers as providers
from credex_orchestration.resources import TerraformResource

from .conftest import FIXTURE_ROOTS


def _mirror(path: Path) -> Path:
    platform = path / "registry.terraform.io" / "hashicorp" / "aws" / "5.100.0" / "linux_amd64"
    platform.mkdir(parents=True)
    (platform / "terraform-provider-aws_v5.100.0_x5").write_text("")
    return path


def test_providers_are_listed_from_either_mirror_layout(tmp_path: Path) -> None:
    unpacked = _mirror(tmp_path / "unpacked")
    packed = tmp_path / "packed" / "registry.terraform.io" / "hashicorp" / "random"
    packed.mkdir(parents=True)
    (packed / "terraform-provider-random_3.6.3_linux_amd64.zip").write_text("")
    assert providers.providers_in(unpacked) == ["registry.terraform.io/hashicorp/aws 5.100.0 linux_amd64"]
    assert providers.providers_in(tmp_path / "packed") == [
        "registry.terraform.io/hashicorp/random 3.6.3 linux_amd64"
    ]
    assert providers.providers_in(tmp_path / "nowhere") == []


def test_mirror_is_found_from_the_variable_then_the_default(tmp_path: Path, monkeypatch) -> None:
    named = _mirror(tmp_path / "named")
    default = _mirror(tmp_path / "default")
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setattr(providers, "DEFAULT_MIRROR", default)
    assert providers.find_mirror("auto", {providers.MIRROR_ENV: str(named)}) == named.resolve()
    assert providers.find_mirror("auto", {}) == default
    assert providers.find_mirror("", {providers.MIRROR_ENV: str(named)}) is None  # the registry
    assert providers.find_mirror(str(named), {}) == named.resolve()
    with pytest.raises(
        providers.ProviderMirrorMissing, match="holds no providers.*CREDEX_TF_PROVIDER_MIRROR"
    ):
        providers.find_mirror("auto", {providers.MIRROR_ENV: str(empty)})
    with pytest.raises(providers.ProviderMirrorMissing, match="providers mirror -platform=linux_amd64"):
        providers.find_mirror(str(empty), {})
    monkeypatch.setattr(providers, "DEFAULT_MIRROR", empty)
    assert providers.find_mirror("auto", {}) is None


def test_no_mirror_and_no_registry_fails_saying_how_to_get_one(tmp_path: Path, monkeypatch) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setattr(providers, "DEFAULT_MIRROR", empty)
    monkeypatch.delenv(providers.MIRROR_ENV, raising=False)
    if providers.registry_reachable():  # a machine with registry access installs from there
        assert providers.require_provider_source() is None
        return
    with pytest.raises(providers.NoProviderSource, match="registry.terraform.io is unreachable") as raised:
        providers.require_provider_source()
    assert "CREDEX_TF_PROVIDER_MIRROR" in str(raised.value) and "/opt/tf-plugins" in str(raised.value)


def test_the_engine_points_its_processes_at_its_own_cli_configuration(tmp_path: Path) -> None:
    mirror = _mirror(tmp_path / "mirror")
    resource = TerraformResource(
        roots_dir=str(FIXTURE_ROOTS), work_dir=str(tmp_path / "work"), provider_mirror=str(mirror)
    )
    env = load_environments()["development"]
    workspace = resource.workspace(env, "connectors")
    config = workspace.cli_config_file
    assert config is not None and config.parent == resource.work_path
    assert config.read_text() == providers.cli_config(mirror)
    assert f'path = "{mirror.resolve()}"' in config.read_text()
    assert workspace._environment()["TF_CLI_CONFIG_FILE"] == str(config)
    first = workspace._fingerprint("backend")
    config.write_text(providers.cli_config(tmp_path / "elsewhere"))
    assert workspace._fingerprint("backend") != first  # another mirror: init again
    registry = TerraformResource(
        roots_dir=str(FIXTURE_ROOTS), work_dir=str(tmp_path / "w2"), provider_mirror=""
    )
    assert registry.workspace(env, "connectors").cli_config_file is None
