"""The branch-push sensors, tick by tick, on a real git repository shaped like credex-core, moto's ECR, a real
SQLite instance with the queued run coordinator, and real deploys of the Terraform fixture roots."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import UTC, datetime

import boto3
import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    DagsterRunStatus,
    SensorResult,
    SkipReason,
    build_sensor_context,
)

from credex_orchestration.definitions import build_definitions
from credex_orchestration.deploy.config import deploy_run_config
from credex_orchestration.notifications.slack import SlackNotifier
from credex_orchestration.resources import AwsResource
from credex_orchestration.triggers.branch_push import BranchCursor, build_sensor, evaluate
from credex_orchestration.triggers.resources import CredexCoreRepository

from .support.credex_core import CredexCore
from .support.environments import local_environments
from .support.runs import latest_metadata
from .support.sensor_daemon import SensorDaemon, queued_instance
from .support.slack import SlackApiStandIn

AMI = "ami-0123456789abcdef0"
NAMES = ("development", "staging", "production")


def skip_text(result) -> str:
    if isinstance(result, SkipReason):
        return result.skip_message or ""
    assert isinstance(result, SensorResult) and not result.run_requests, result
    return str(result.skip_reason.skip_message if result.skip_reason else "")


def requests(result) -> list:
    assert isinstance(result, SensorResult), result
    return list(result.run_requests or [])


def push_image(ecr, repository: str, sha: str) -> str:
    """An image for `sha` as credex-core's CI pushes it (tag = SHA); returns its digest."""
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"digest": f"sha256:{sha[:8] * 8}", "size": 1, "mediaType": "application/json"},
        "layers": [{"digest": f"sha256:{sha[-8:] * 8}", "size": 1, "mediaType": "x"}],
    }
    image = ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=sha)
    return image["image"]["imageId"]["imageDigest"]


@pytest.fixture
def environments(tmp_path):
    """No quiet windows (ticks behave the same at any hour), staging deployable on the fixture roots."""
    overrides = {name: {"triggers.quiet_windows_utc": [], "neo4j.ami_id": AMI} for name in NAMES}
    overrides["staging"]["verification.enabled"] = False
    return local_environments(tmp_path, overrides)


@pytest.fixture
def world(tmp_path, environments, terraform, aws_endpoint):
    core = CredexCore(tmp_path / "git")
    ecr = boto3.client("ecr", endpoint_url=aws_endpoint, region_name="af-south-1")
    for name in NAMES:
        ecr.create_repository(repositoryName=f"credex-core-{name}")
    repository = CredexCoreRepository(url=core.url, cache_dir=str(tmp_path / "cache"))
    aws = AwsResource(endpoint_url=aws_endpoint)
    with SlackApiStandIn() as slack_api, queued_instance() as instance:
        slack = SlackNotifier(token="xoxb-test", channel="#deploys", base_url=slack_api.base_url)
        resources = {"credex_core": repository, "aws": aws, "slack": slack}
        defs = build_definitions(
            environments, resources={"terraform": terraform, "credex_core": repository, "aws": aws}
        )

        class World:
            pass

        world = World()
        world.core, world.ecr, world.instance, world.defs, world.slack_api = (
            core,
            ecr,
            instance,
            defs,
            slack_api,
        )
        world.daemon = lambda env: SensorDaemon(instance, defs, f"branch_push_{env}", resources)
        world.deploy = lambda env, sha: defs.resolve_job_def(f"deploy_{env}").execute_in_process(
            run_config=deploy_run_config(environments[env], git_sha=sha, confirm_environment=env),
            instance=instance,
            raise_on_error=False,
        )
        yield world


def test_staging_follows_credex_core_push_by_push(world) -> None:
    core, ecr, daemon = world.core, world.ecr, world.daemon("staging")

    first = daemon.tick()
    assert "first sight of 'stage'" in skip_text(first)
    assert "no new commit on 'stage'" in skip_text(daemon.tick())

    # Docs, tests, .github: nothing deploys; said so, with the kind of each path.
    docs = core.change(
        "stage", "docs/deploy.md", "tests/api/basic/basic_integration.test.ts", ".github/x.yml"
    )
    text = skip_text(daemon.tick())
    assert "touches no component" in text and "deploy nothing: 3" in text
    assert BranchCursor.load(daemon.cursor).seen == docs
    # credex-core's old terraform/ is retired: nothing deploys, and the skip says why.
    core.change("stage", "terraform/connectors.tf", "terraform/modules/databases/main.tf")
    assert "retired (credex-core's old terraform/" in skip_text(daemon.tick())
    # An unmapped file deploys nothing and is named, so it can be classified.
    core.change("stage", "scripts/new-tool.sh")
    text = skip_text(daemon.tick())
    assert "unmapped" in text and "scripts/new-tool.sh" in text

    # config/ is the app's: it deploys the app, once the commit's image is in ECR.
    config = core.change("stage", "config/config.ts")
    assert f"no image tagged {config}" in skip_text(daemon.tick())
    digest = push_image(ecr, "credex-core-staging", config)
    result = daemon.tick()
    (request,) = requests(result)
    assert request.asset_selection == [AssetKey(["staging", "app"])]
    assert request.run_key.startswith(f"staging:{config}:")
    assert request.tags["credex/tree"] == core.tree(config) and request.tags["credex/image-digest"] == digest
    (run,) = result.created
    assert run.status == DagsterRunStatus.QUEUED

    # Its deploy fails (staging was never deployed: the app has nothing to read): staging is behind its
    # branch: an observation on each component and one message, not repeated on the next tick.
    failed = daemon.launch(run)
    assert not failed.success
    daemon.tick()
    observed = world.instance.fetch_observations(AssetKey(["staging", "connectors"]), limit=1).records
    metadata = observed[0].asset_observation.metadata
    assert metadata["behind_branch"].value is True and metadata["failed_run"].value == failed.run_id
    assert "materialise staging/connectors first" in metadata["reason"].value
    assert len(world.slack_api.messages()) == 1
    assert "behind its branch `stage`" in world.slack_api.messages()[0].body["text"]
    daemon.tick()
    assert len(world.slack_api.messages()) == 1

    # A deploy by hand succeeds: caught up, said once.
    assert world.deploy("staging", config).success
    daemon.tick()
    observed = world.instance.fetch_observations(AssetKey(["staging", "app"]), limit=1).records
    assert observed[0].asset_observation.metadata["behind_branch"].value is False
    assert "caught up" in world.slack_api.messages()[-1].body["text"]

    # A burst of pushes: each tick requests the newest; older queued requests are cancelled, never run.
    burst, created = [], []
    for _ in range(3):
        (sha,) = core.burst("stage", 1)
        burst.append(sha)
        push_image(ecr, "credex-core-staging", sha)
        created.extend(daemon.tick().created)
    statuses = [world.instance.get_run_by_id(run.run_id).status for run in created]
    assert statuses == [DagsterRunStatus.CANCELED, DagsterRunStatus.CANCELED, DagsterRunStatus.QUEUED]
    assert daemon.launch(created[-1]).success
    assert latest_metadata(world.instance, "staging", "app")["outputs"]["image_tag"] == burst[-1]

    # Back to an earlier SHA (a revert by reset, force-pushed): deployed again, not dropped as a used run key.
    core.reset_to("stage", config)
    (request,) = requests(daemon.tick())
    assert request.tags["credex/sha"] == config and request.asset_selection == [AssetKey(["staging", "app"])]
    assert daemon.dropped == []
    assert daemon.launch(daemon.queued()[0]).success
    assert latest_metadata(world.instance, "staging", "app")["outputs"]["image_tag"] == config

    # A force-push of a rewritten history: what its tree changes, not every component.
    core.checkout("stage")
    core.git("reset", "--quiet", "--hard", burst[0])
    rewritten = core.commit({"docs/deploy.md": "rewritten\n"}, "rewritten")
    core.push("stage", force=True)
    push_image(ecr, "credex-core-staging", rewritten)
    (request,) = requests(daemon.tick())
    assert request.asset_selection == [AssetKey(["staging", "app"])]  # src/index.ts differs from `config`
    assert request.tags["credex/sha"] == rewritten


def test_a_remote_that_never_answers_ends_the_tick_inside_its_budget(
    tmp_path, environments, aws_endpoint
) -> None:
    """A server that accepts connections and never answers (git over HTTP to it hangs)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/credex-core.git"
        repository = CredexCoreRepository(url=url, cache_dir=str(tmp_path / "c"), timeout_seconds=2)
        with build_sensor_context(instance=DagsterInstance.ephemeral()) as context:
            started = time.monotonic()
            result = evaluate(
                context, environments["staging"], repository, AwsResource(endpoint_url=aws_endpoint)
            )
            elapsed = time.monotonic() - started
        assert isinstance(result, SkipReason)
        assert (
            "cannot read branch 'stage'" in result.skip_message
            and "no answer within 2s" in result.skip_message
        )
        assert elapsed < 6, elapsed
        assert held, "git never connected: the test did not exercise a hanging server"
    finally:
        stop.set()
        thread.join(timeout=2)
        for connection in held:
            connection.close()
        listener.close()


def test_development_pushes_are_recorded_not_deployed(tmp_path, environments, aws_endpoint) -> None:
    core = CredexCore(tmp_path / "git")
    repository = CredexCoreRepository(url=core.url, cache_dir=str(tmp_path / "cache"))
    sensor = build_sensor(environments["development"], environments)
    instance = DagsterInstance.ephemeral()
    cursor = None
    for expect_change in (False, True):
        if expect_change:
            sha = core.change("dev", "src/index.ts")
        with build_sensor_context(
            instance=instance,
            cursor=cursor,
            resources={
                "credex_core": repository,
                "aws": AwsResource(endpoint_url=aws_endpoint),
                "slack": SlackNotifier(),
            },
        ) as context:
            result = sensor(context)
        cursor = result.cursor
    assert not requests(result) and "deploys by hand" in skip_text(result)
    assert {e.asset_key: e.metadata["waiting_sha"].value for e in result.asset_events} == {
        AssetKey(["development", "app"]): sha
    }


def test_unreachable_remote_and_missing_configuration_skip_with_the_reason(
    tmp_path, environments, aws_endpoint
) -> None:
    aws = AwsResource(endpoint_url=aws_endpoint)
    missing = CredexCoreRepository(url=str(tmp_path / "no-such-repo.git"), cache_dir=str(tmp_path / "c"))
    cursor = BranchCursor(seen="a" * 40).dump()
    with build_sensor_context(instance=DagsterInstance.ephemeral(), cursor=cursor) as context:
        result = evaluate(context, environments["staging"], missing, aws)
        assert isinstance(result, SkipReason) and "cannot read branch 'stage'" in result.skip_message
        assert "no-such-repo.git" in result.skip_message
        unset = evaluate(context, environments["staging"], CredexCoreRepository(url=""), aws)
        assert "set CREDEX_CORE_REPOSITORY" in unset.skip_message


def test_automatic_deploys_wait_out_the_dco_quiet_window(tmp_path, aws_endpoint) -> None:
    environments = local_environments(tmp_path)  # the checked-in window: 23:45-00:30 UTC
    core = CredexCore(tmp_path / "git")
    repository = CredexCoreRepository(url=core.url, cache_dir=str(tmp_path / "cache"))
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
        dev = evaluate(
            context,
            environments["development"],
            repository,
            aws,
            now=datetime(2026, 11, 21, 0, 0, tzinfo=UTC),
        )
        assert "quiet window" not in str(dev)


def test_supersession_cancels_only_queued_sensor_requests_and_keeps_their_components(
    environments, terraform
) -> None:
    from dagster import RunRequest

    from credex_orchestration.triggers.supersede import supersede

    staging = environments["staging"]
    defs = build_definitions(environments, resources={"terraform": terraform})
    with queued_instance() as instance:
        daemon = SensorDaemon(instance, defs, "branch_push_staging", {})

        def queue(trigger: str | None, components: list[str]):
            tags = {"credex/environment": "staging", **({"credex/trigger": trigger} if trigger else {})}
            return daemon.submit(
                RunRequest(
                    job_name="deploy_staging",
                    asset_selection=[AssetKey(["staging", c]) for c in components],
                    run_config=deploy_run_config(staging, components),
                    tags=tags,
                )
            )

        by_code_version = queue("code-version", ["connectors", "databases", "app"])
        by_push = queue("branch-push", ["app"])
        by_hand = queue(None, ["databases"])
        superseded = supersede(instance, staging)
        assert sorted(superseded.run_ids) == sorted([by_code_version.run_id, by_push.run_id])
        assert superseded.components == {"connectors", "databases", "app"}
        status = {
            run.run_id: instance.get_run_by_id(run.run_id).status
            for run in (by_code_version, by_push, by_hand)
        }
        assert status == {
            by_code_version.run_id: DagsterRunStatus.CANCELED,
            by_push.run_id: DagsterRunStatus.CANCELED,
            by_hand.run_id: DagsterRunStatus.QUEUED,  # a person's request is never superseded
        }
