"""Changes to this repository's Terraform roots deploy by themselves: staging at once, production once staging
deployed the same root. Real parts: copies of the Terraform fixture roots, real deploys, the queued run
coordinator; a "reload" is building the definitions again after the root changed on disk."""

from __future__ import annotations

import shutil

import pytest
from dagster import AssetKey

from credex_orchestration.definitions import build_definitions
from credex_orchestration.deploy.code_versions import code_version, root_digest, root_part
from credex_orchestration.deploy.config import deploy_run_config
from credex_orchestration.environments import COMPONENTS
from credex_orchestration.resources import TerraformResource

from .conftest import FIXTURE_ROOTS
from .support.environments import local_environments
from .support.runs import materialized, succeeded_steps
from .support.sensor_daemon import SensorDaemon, queued_instance

AMI = "ami-0123456789abcdef0"


@pytest.fixture
def roots(tmp_path, monkeypatch):
    copy = tmp_path / "roots"
    shutil.copytree(FIXTURE_ROOTS, copy)
    monkeypatch.setenv("CREDEX_TERRAFORM_ROOTS", str(copy))
    root_digest.cache_clear()
    yield copy
    root_digest.cache_clear()


def test_a_changed_root_deploys_staging_then_production(tmp_path, roots, aws_endpoint) -> None:
    overrides = {
        n: {"triggers.quiet_windows_utc": [], "neo4j.ami_id": AMI}
        for n in ("development", "staging", "production")
    }
    overrides["staging"]["verification.enabled"] = False
    environments = local_environments(tmp_path, overrides)
    staging, production = environments["staging"], environments["production"]
    terraform = TerraformResource(roots_dir=str(roots), work_dir=str(tmp_path / "work"))

    def load():
        return build_definitions(environments, resources={"terraform": terraform})

    defs = load()
    before = code_version(staging, "connectors")
    assert defs.resolve_assets_def(AssetKey(["staging", "connectors"])).code_versions_by_key == {
        AssetKey(["staging", "connectors"]): before
    }
    with queued_instance() as instance:
        # Both environments deployed once by hand at the loaded versions.
        assert (
            defs.resolve_job_def("deploy_staging")
            .execute_in_process(run_config=deploy_run_config(staging, git_sha="abc1234"), instance=instance)
            .success
        )
        config = deploy_run_config(production, git_sha="abc1234", confirm_environment="production")
        for op in config["ops"].values():
            op["config"]["override_promotion"] = "first deploy"
        first = defs.resolve_job_def("deploy_production").execute_in_process(
            run_config=config, instance=instance, raise_on_error=False
        )
        assert {f"production/{c}" for c in COMPONENTS} <= materialized(first)  # its checks fail on fixtures
        sensors = {
            name: SensorDaemon(instance, defs, f"infrastructure_{name}", {})
            for name in ("staging", "production")
        }
        for daemon in sensors.values():
            assert "every deployed component is at its code version" in daemon.tick().skip_message

        # A change to the connectors root, then a reload of the code location.
        (roots / "connectors" / "main.tf").write_text(
            (roots / "connectors" / "main.tf").read_text() + "\n# nat\n"
        )
        root_digest.cache_clear()
        defs = load()
        after = code_version(staging, "connectors")
        assert root_part(after) != root_part(before) and after.split(";")[1] == before.split(";")[1]
        reloaded = {}
        for name, old in sensors.items():
            reloaded[name] = SensorDaemon(instance, defs, f"infrastructure_{name}", {})
            reloaded[name].cursor = old.cursor  # Dagster keeps a sensor's cursor across reloads

        # Staging deploys the connectors and what reads from them, with the images it runs.
        result = reloaded["staging"].tick()
        (request,) = result.run_requests
        assert request.asset_selection == [AssetKey(["staging", c]) for c in COMPONENTS]
        assert request.tags["credex/trigger"] == "code-version"
        assert request.run_config["ops"]["staging__app"]["config"]["git_sha"] == ""
        # Production waits: staging has not deployed that root yet.
        held = reloaded["production"].tick()
        assert "held for promotion" in held.skip_message and "connectors" in held.skip_message

        assert reloaded["staging"].launch(result.created[0]).success
        assert "every deployed component is at its code version" in reloaded["staging"].tick().skip_message

        # Staging deployed it cleanly: production follows.
        result = reloaded["production"].tick()
        (request,) = result.run_requests
        assert request.asset_selection[0] == AssetKey(["production", "connectors"])
        assert (
            request.run_config["ops"]["production__connectors"]["config"]["confirm_environment"]
            == "production"
        )
        executed = reloaded["production"].launch(result.created[0])
        assert "production__connectors" in succeeded_steps(executed)  # the guard let it through
        assert "every deployed component is at its code version" in reloaded["production"].tick().skip_message
