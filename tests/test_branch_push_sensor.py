"""The branch-push sensors, tick by tick, on a real bare git repository and moto's ECR."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from dagster import AssetKey, DagsterInstance, RunRequest, SensorResult, SkipReason, build_sensor_context

from credex_orchestration.deploy.config import deploy_run_config
from credex_orchestration.resources import AwsResource
from credex_orchestration.triggers.branch_push import BranchCursor, build_sensor, evaluate
from credex_orchestration.triggers.resources import CredexCoreRepository

from .support.environments import local_environments
from .support.git_remote import GitRemote
from .support.triggers import trigger_environments

INITIAL = {
    "README.md": "credex-core\n",
    "docs/deploy.md": "how to deploy\n",
    "src/index.ts": "export {}\n",
    "package.json": "{}\n",
    "Dockerfile": "FROM node:20\n",
    "terraform/connectors/main.tf": "# connectors\n",
    "terraform/databases/main.tf": "# databases\n",
    "terraform/app/main.tf": "# app\n",
}


class Ticks:
    """Evaluates one environment's sensor tick after tick, carrying the cursor as the daemon would."""

    def __init__(self, environment, repository: CredexCoreRepository, aws: AwsResource) -> None:
        self.sensor = build_sensor(environment)
        self.instance = DagsterInstance.ephemeral()
        self.resources = {"credex_core": repository, "aws": aws}
        self.cursor: str | None = None

    def tick(self):
        with build_sensor_context(
            instance=self.instance, cursor=self.cursor, resources=self.resources, sensor_name=self.sensor.name
        ) as context:
            result = self.sensor(context)
        if isinstance(result, SensorResult) and result.cursor is not None:
            self.cursor = result.cursor
        return result

    @property
    def seen(self) -> str | None:
        return BranchCursor.load(self.cursor).seen


def requests(result) -> list[RunRequest]:
    assert isinstance(result, SensorResult), result
    return list(result.run_requests or [])


def skip_text(result) -> str:
    if isinstance(result, SkipReason):
        return result.skip_message or ""
    assert isinstance(result, SensorResult) and not result.run_requests, result
    return str(result.skip_reason.skip_message if result.skip_reason else "")


@pytest.fixture
def environments(tmp_path):
    """The checked-in environments without quiet windows, so ticks behave the same at any hour."""
    return trigger_environments(tmp_path)


@pytest.fixture
def remote(tmp_path) -> GitRemote:
    remote = GitRemote(tmp_path / "git")
    remote.commit(INITIAL, "initial")
    for branch in ("dev", "stage", "prod"):
        remote.checkout(branch, create_from="dev" if branch != "dev" else None)
        remote.push(branch)
    remote.checkout("dev")
    return remote


@pytest.fixture
def ecr(aws_endpoint):
    client = boto3.client("ecr", endpoint_url=aws_endpoint, region_name="af-south-1")

    def push_image(repository: str, sha: str) -> None:
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "sha": sha,
            }
        )
        client.put_image(repositoryName=repository, imageManifest=manifest, imageTag=sha)

    client.push_image = push_image
    return client


def test_staging_deploys_only_what_each_push_affects(
    tmp_path, environments, remote, ecr, aws_endpoint
) -> None:
    staging = environments["staging"]
    repository = CredexCoreRepository(url=remote.url, cache_dir=str(tmp_path / "cache"))
    ticks = Ticks(staging, repository, AwsResource(endpoint_url=aws_endpoint))

    # Tick 1: no deploy on record: the tip becomes the baseline, nothing is deployed.
    first = ticks.tick()
    assert "first sight of 'stage'" in skip_text(first) and not requests(first)
    baseline = ticks.seen
    assert baseline == remote.git("rev-parse", "stage")
    # Tick 2: nothing changed: a skip, cursor kept.
    assert "no new commit on 'stage'" in skip_text(ticks.tick()) and ticks.seen == baseline
    assert not (tmp_path / "cache").exists()  # idle ticks cost one ls-remote, no fetch

    # A merge from dev to stage that changes the app's source.
    remote.commit({"src/member.ts": "export const x = 1\n"}, "member endpoint")
    remote.push("dev")
    merged = remote.merge("dev", "stage")
    remote.push("stage")
    waiting = ticks.tick()
    assert isinstance(waiting, SkipReason) and "credex-core-staging" in waiting.skip_message
    assert ticks.seen == baseline  # cursor unchanged while waiting
    ecr.create_repository(repositoryName="credex-core-staging")
    waiting = ticks.tick()
    assert f"no image tagged {merged}" in waiting.skip_message and ticks.seen == baseline
    ecr.push_image("credex-core-staging", merged)
    (request,) = requests(ticks.tick())
    assert request.run_key == f"staging:{merged}"
    assert request.job_name == "deploy_staging"
    assert request.asset_selection == [AssetKey(["staging", "app"])]
    assert request.tags == {
        "credex/environment": "staging",
        "credex/branch": "stage",
        "credex/sha": merged,
        "credex/trigger": "branch-push",
    }
    assert request.run_config == deploy_run_config(
        staging, ["app"], git_sha=merged, use_existing_resources=True
    )
    assert request.run_config["ops"]["staging__app"]["config"]["use_existing_resources"] is True
    assert BranchCursor.load(ticks.cursor) == BranchCursor(seen=merged, requested=merged)

    # A docs-only commit: nothing to deploy, said so, cursor advances.
    remote.checkout("stage")
    docs = remote.commit({"docs/deploy.md": "how to deploy, v2\n"}, "docs")
    remote.push("stage")
    result = ticks.tick()
    assert "touches no component" in skip_text(result) and "docs/deploy.md" in skip_text(result)
    assert ticks.seen == docs

    # A commit touching two components: both, plus the app that reads from them.
    two = remote.commit(
        {"terraform/connectors/main.tf": "# nat\n", "terraform/databases/main.tf": "# volume\n"}, "infra"
    )
    remote.push("stage")
    ecr.push_image("credex-core-staging", two)
    (request,) = requests(ticks.tick())
    assert request.asset_selection == [AssetKey(["staging", c]) for c in ("connectors", "databases", "app")]
    assert set(request.run_config["ops"]) == {"staging__connectors", "staging__databases", "staging__app"}
    assert request.run_key == f"staging:{two}"

    # A force-push rewriting history: the last SHA is no longer an ancestor: every component.
    remote.git("reset", "--quiet", "--hard", merged)
    forced = remote.commit({"terraform/databases/main.tf": "# other volume\n"}, "rewritten")
    remote.push("stage", force=True)
    ecr.push_image("credex-core-staging", forced)
    (request,) = requests(ticks.tick())
    assert request.run_key == f"staging:{forced}"
    assert request.asset_selection == [AssetKey(["staging", c]) for c in ("connectors", "databases", "app")]

    # The branch is deleted: skip with the reason, cursor kept, nothing requested.
    remote.delete_remote_branch("stage")
    gone = ticks.tick()
    assert isinstance(gone, SkipReason) and "branch 'stage' not found" in gone.skip_message
    assert ticks.seen == forced


def test_an_image_that_never_appears_never_deploys(tmp_path, environments, remote, ecr, aws_endpoint) -> None:
    repository = CredexCoreRepository(url=remote.url, cache_dir=str(tmp_path / "cache"))
    ticks = Ticks(environments["staging"], repository, AwsResource(endpoint_url=aws_endpoint))
    ticks.tick()
    ecr.create_repository(repositoryName="credex-core-staging")
    remote.checkout("stage")
    sha = remote.commit({"src/x.ts": "1\n"}, "x")
    remote.push("stage")
    ecr.push_image("credex-core-staging", "0" * 40)  # some other SHA's image
    before = ticks.cursor
    for _ in range(3):
        result = ticks.tick()
        assert isinstance(result, SkipReason) and f"no image tagged {sha}" in result.skip_message
    assert ticks.cursor == before


def test_production_requests_carry_the_confirmation_and_the_prod_branch(
    tmp_path, environments, remote, ecr, aws_endpoint
) -> None:
    production = environments["production"]
    repository = CredexCoreRepository(url=remote.url, cache_dir=str(tmp_path / "cache"))
    ticks = Ticks(production, repository, AwsResource(endpoint_url=aws_endpoint))
    ticks.tick()
    ecr.create_repository(repositoryName="credex-core-production")
    remote.checkout("prod")
    sha = remote.commit({"Dockerfile": "FROM node:22\n"}, "node 22")
    remote.push("prod")
    ecr.push_image("credex-core-production", sha)
    (request,) = requests(ticks.tick())
    assert request.job_name == "deploy_production" and request.run_key == f"production:{sha}"
    assert request.tags["credex/branch"] == "prod" and request.tags["credex/trigger"] == "branch-push"
    assert request.run_config["ops"]["production__app"]["config"]["confirm_environment"] == "production"


def test_development_pushes_are_recorded_not_deployed(tmp_path, environments, remote, aws_endpoint) -> None:
    repository = CredexCoreRepository(url=remote.url, cache_dir=str(tmp_path / "cache"))
    ticks = Ticks(environments["development"], repository, AwsResource(endpoint_url=aws_endpoint))
    ticks.tick()
    sha = remote.commit({"terraform/databases/main.tf": "# bigger\n"}, "databases")
    remote.push("dev")
    result = ticks.tick()
    assert not requests(result) and "deploys by hand" in skip_text(result) and ticks.seen == sha
    observed = {event.asset_key: event.metadata["waiting_sha"].value for event in result.asset_events}
    assert observed == {AssetKey(["development", "databases"]): sha, AssetKey(["development", "app"]): sha}


def test_unreachable_remote_and_missing_configuration_skip_with_the_reason(
    tmp_path, environments, aws_endpoint
) -> None:
    aws = AwsResource(endpoint_url=aws_endpoint)
    missing = CredexCoreRepository(url=str(tmp_path / "no-such-repo.git"), cache_dir=str(tmp_path / "c"))
    ticks = Ticks(environments["staging"], missing, aws)
    ticks.cursor = BranchCursor(seen="a" * 40).dump()
    result = ticks.tick()
    assert isinstance(result, SkipReason) and "cannot read branch 'stage'" in result.skip_message
    assert "no-such-repo.git" in result.skip_message and ticks.seen == "a" * 40
    unset = Ticks(environments["staging"], CredexCoreRepository(url=""), aws)
    assert "set CREDEX_CORE_REPOSITORY" in unset.tick().skip_message


def test_automatic_deploys_wait_out_the_dco_quiet_window(tmp_path, remote, aws_endpoint) -> None:
    environments = local_environments(tmp_path)  # the checked-in window: 23:45-00:30 UTC
    repository = CredexCoreRepository(url=remote.url, cache_dir=str(tmp_path / "cache"))
    aws = AwsResource(endpoint_url=aws_endpoint)
    cursor = BranchCursor(seen="b" * 40).dump()
    with build_sensor_context(instance=DagsterInstance.ephemeral(), cursor=cursor) as context:
        for hour, minute in ((23, 50), (0, 0), (0, 29)):
            at = datetime(2026, 11, 21, hour, minute, tzinfo=UTC)
            result = evaluate(context, environments["production"], repository, aws, now=at)
            assert isinstance(result, SkipReason) and "quiet window 23:45-00:30 UTC" in result.skip_message
        after = evaluate(
            context,
            environments["production"],
            repository,
            aws,
            now=datetime(2026, 11, 21, 0, 30, tzinfo=UTC),
        )
        assert "quiet window" not in str(after)
        # Development is deployed by hand: its sensor keeps recording during the window.
        dev = evaluate(
            context,
            environments["development"],
            repository,
            aws,
            now=datetime(2026, 11, 21, 0, 0, tzinfo=UTC),
        )
        assert "quiet window" not in str(dev)
