"""Promotion to production, tick by tick: a merge into `prod` whose tree is a `stage` commit's takes the image
staging verified, by digest; anything else is held, and the production guard refuses it unless overridden.

Real parts: a credex-core-shaped git repository, moto's ECR, the queued run coordinator, production's real
deploy job on the Terraform fixture roots. Stand-in: staging's deploy *records* (a successful
`deploy_staging` run with a blocking check on `staging/app`) come from a small job with the same asset
keys, code versions and tags, because staging's real checks need an ECS service and the API
(tests/test_verification_run.py exercises those).
"""

from __future__ import annotations

import json

import boto3
import pytest
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    Definitions,
    MaterializeResult,
    asset,
    define_asset_job,
)

from credex_orchestration.definitions import build_definitions
from credex_orchestration.deploy.code_versions import code_version
from credex_orchestration.deploy.config import deploy_run_config
from credex_orchestration.environments import COMPONENTS
from credex_orchestration.notifications.slack import SlackNotifier
from credex_orchestration.resources import AwsResource
from credex_orchestration.triggers.resources import CredexCoreRepository

from .support.credex_core import CredexCore
from .support.environments import local_environments
from .support.runs import latest_metadata, materialized, step_failure
from .support.sensor_daemon import SensorDaemon, queued_instance

AMI = "ami-0123456789abcdef0"


def staging_deploy_records(staging, passed: bool):
    """A `deploy_staging` job producing what staging's deploy run records (see the module docstring)."""

    def component(name: str):
        specs = (
            [AssetCheckSpec("api_health", asset=AssetKey(["staging", name]), blocking=True)]
            if name == "app"
            else []
        )

        @asset(key=AssetKey(["staging", name]), code_version=code_version(staging, name), check_specs=specs)
        def deployed() -> MaterializeResult:
            checks = [AssetCheckResult(passed=passed, severity=AssetCheckSeverity.ERROR)] if specs else []
            return MaterializeResult(check_results=checks)

        return deployed

    assets = [component(name) for name in COMPONENTS]
    defs = Definitions(
        assets=assets, jobs=[define_asset_job("deploy_staging", selection=[a.key for a in assets])]
    )
    return defs.resolve_job_def("deploy_staging")


def push_image(ecr, repository: str, sha: str) -> str:
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"digest": f"sha256:{sha[:8] * 8}", "size": 1, "mediaType": "application/json"},
        "layers": [{"digest": f"sha256:{sha[-8:] * 8}", "size": 1, "mediaType": "x"}],
    }
    return ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=sha)[
        "image"
    ]["imageId"]["imageDigest"]


def digest_of(ecr, repository: str, tag: str) -> str:
    return ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])["imageDetails"][0][
        "imageDigest"
    ]


@pytest.fixture
def environments(tmp_path):
    overrides = {
        name: {"triggers.quiet_windows_utc": [], "neo4j.ami_id": AMI}
        for name in ("development", "staging", "production")
    }
    return local_environments(tmp_path, overrides)


def test_production_promotes_what_staging_verified_and_holds_the_rest(
    tmp_path, environments, terraform, aws_endpoint
) -> None:
    staging, production = environments["staging"], environments["production"]
    assert production.promote_from == "staging"
    core = CredexCore(tmp_path / "git")
    ecr = boto3.client("ecr", endpoint_url=aws_endpoint, region_name="af-south-1")
    for name in ("staging", "production"):
        ecr.create_repository(repositoryName=f"credex-core-{name}")
    repository = CredexCoreRepository(url=core.url, cache_dir=str(tmp_path / "cache"))
    aws = AwsResource(endpoint_url=aws_endpoint)
    defs = build_definitions(
        environments, resources={"terraform": terraform, "credex_core": repository, "aws": aws}
    )
    deploy_production = defs.resolve_job_def("deploy_production")

    with queued_instance() as instance:
        daemon = SensorDaemon(
            instance,
            defs,
            "branch_push_production",
            {"credex_core": repository, "aws": aws, "slack": SlackNotifier()},
        )
        # Production deployed once by hand (with an override: nothing was verified yet). Production is always
        # verified and the fixture roots have no ECS behind them: its checks fail, its components deploy.
        initial = core.git("rev-parse", "prod")
        first = deploy_production.execute_in_process(
            run_config=_with_override(
                deploy_run_config(production, git_sha=initial, confirm_environment="production")
            ),
            instance=instance,
            raise_on_error=False,
        )
        assert {f"production/{c}" for c in COMPONENTS} <= materialized(first)

        # A stage commit, then its merge into prod: the merge's tree is the stage commit's.
        stage_sha = core.change("stage", "src/api/Member/controllers/onboardMember.ts")
        staging_digest = push_image(ecr, "credex-core-staging", stage_sha)
        merge = core.merge_into_prod()
        assert merge != stage_sha and core.tree(merge) == core.tree(stage_sha)

        # Staging has not verified it yet: held, with the reason, and nothing is promoted.
        held = daemon.tick()
        assert (
            not held.run_requests
            and "never passed staging's blocking checks" in held.skip_reason.skip_message
        )
        assert ecr.list_images(repositoryName="credex-core-production")["imageIds"] == []
        # A staging run whose blocking check failed does not count.
        tags = {
            "credex/sha": stage_sha,
            "credex/tree": core.tree(stage_sha),
            "credex/image-digest": staging_digest,
        }
        assert (
            not staging_deploy_records(staging, passed=False)
            .execute_in_process(instance=instance, tags=tags, raise_on_error=False)
            .success
        )
        assert not daemon.tick().run_requests
        # Staging verifies the same tree: production takes that image, same digest, tagged with the merge SHA.
        verified = staging_deploy_records(staging, passed=True).execute_in_process(
            instance=instance, tags=tags
        )
        result = daemon.tick()
        (request,) = result.run_requests
        assert request.asset_selection == [AssetKey(["production", "app"])]
        assert request.run_config["ops"]["production__app"]["config"]["git_sha"] == merge
        assert request.tags["credex/verified-by"] == verified.run_id
        assert request.tags["credex/verified-sha"] == stage_sha
        assert digest_of(ecr, "credex-core-production", merge) == staging_digest

        # The production run: the guard finds the verification again (records, and the digest in ECR).
        executed = daemon.launch(result.created[0])
        assert "production/app" in materialized(executed)
        assert executed.dagster_run.tags["credex/verified-by"] == verified.run_id
        assert latest_metadata(instance, "production", "app")["outputs"]["image_tag"] == merge

        # A hotfix straight on prod: its tree was never on stage: held. Its image (built by hand) is
        # refused by the guard unless a person overrides.
        hotfix = core.change("prod", "src/index.ts", message="hotfix")
        assert "never passed staging's blocking checks" in daemon.tick().skip_reason.skip_message
        push_image(ecr, "credex-core-production", hotfix)
        config = deploy_run_config(production, ["app"], git_sha=hotfix, confirm_environment="production")
        refused = deploy_production.execute_in_process(
            run_config=config,
            instance=instance,
            asset_selection=[AssetKey(["production", "app"])],
            raise_on_error=False,
        )
        assert "never passed staging's blocking checks" in step_failure(refused, "production__app")
        overridden = deploy_production.execute_in_process(
            run_config=_with_override(config),
            instance=instance,
            asset_selection=[AssetKey(["production", "app"])],
            raise_on_error=False,
        )
        assert "production/app" in materialized(overridden)


def _with_override(run_config: dict) -> dict:
    for op in run_config["ops"].values():
        op["config"]["override_promotion"] = "first deploy of production by hand"
    return run_config
