"""The code location's shape: one graph and one deploy job per environment, config with descriptions."""

from __future__ import annotations

from dagster import AssetKey

from credex_orchestration.definitions import build_definitions
from credex_orchestration.deploy.config import AppDeployConfig, DeployConfig, deploy_run_config
from credex_orchestration.environments import load_environments

from .support.environments import write_environments


def test_every_environment_gets_its_graph_and_job() -> None:
    defs = build_definitions(load_environments())
    graph = defs.resolve_asset_graph()
    keys = set(graph.get_all_asset_keys())
    for env in ("development", "staging", "production"):
        connectors, databases, app = (AssetKey([env, c]) for c in ("connectors", "databases", "app"))
        assert {connectors, databases, app} <= keys
        assert graph.get(databases).parent_keys >= {connectors}
        assert graph.get(app).parent_keys == {connectors, databases}
        job = defs.resolve_job_def(f"deploy_{env}")
        assert job.tags["credex/environment"] == env
        assert {key for key in job.asset_layer.selected_asset_keys} == {connectors, databases, app}
    # Each edition's AMI feeds exactly the databases of the environments on that edition.
    assert graph.get(AssetKey(["production", "databases"])).parent_keys >= {
        AssetKey(["neo4j_ami", "enterprise"])
    }
    assert graph.get(AssetKey(["staging", "databases"])).parent_keys >= {AssetKey(["neo4j_ami", "community"])}
    assert (
        AssetKey(["neo4j_ami", "enterprise"]) not in graph.get(AssetKey(["staging", "databases"])).parent_keys
    )


def test_a_new_environment_in_the_file_is_a_new_graph(tmp_path) -> None:
    def add(envs: dict) -> None:
        body = dict(envs["staging"])
        body.update(branch="model", domain="model.mycredex.dev", base_url="https://model.mycredex.dev")
        body["network"] = {"vpc_cidr": "10.3.0.0/16"}
        body["state"] = {"backend": "s3", "bucket": "credex-terraform-state-model-001"}
        envs["model_001"] = body

    defs = build_definitions(load_environments(write_environments(tmp_path, add)))
    assert AssetKey(["model_001", "app"]) in set(defs.resolve_asset_graph().get_all_asset_keys())
    assert defs.resolve_job_def("deploy_model_001").tags["credex/environment"] == "model_001"


def test_run_config_defaults_are_the_seeds_manual_defaults() -> None:
    config = DeployConfig()
    assert config.use_existing_resources is False
    assert DeployConfig.model_fields["use_existing_resources"].description
    # Deleting orphans is the cleanup job's, never a deploy option.
    assert "run_cleanup" not in DeployConfig.model_fields
    assert AppDeployConfig().git_sha == ""
    env = load_environments()["staging"]
    run_config = deploy_run_config(env, ["databases", "app"], git_sha="abc1234", use_existing_resources=True)
    assert set(run_config["ops"]) == {"staging__databases", "staging__app"}
    assert run_config["ops"]["staging__app"]["config"]["git_sha"] == "abc1234"
    assert "git_sha" not in run_config["ops"]["staging__databases"]["config"]
    assert run_config["ops"]["staging__databases"]["config"]["use_existing_resources"] is True
