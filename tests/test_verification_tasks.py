"""The stale-deployment check on moto: tasks of the intended revision, started after their secrets changed.

moto holds the cluster, service, task definitions and secrets; the service's tasks (with startedAt) come
from tests/support/moto_ecs_tasks.py, which stands in for the part of ECS moto does not model.
"""

from __future__ import annotations

import json
import time

import pytest

from credex_orchestration import naming
from credex_orchestration.verification.ecs_tasks import tasks_current
from credex_orchestration.verification.outcome import Outcome

from .support.aws_world import World, ecs_moto
from .support.environments import local_environments

GOOD, BAD = "1abc123", "2def456"


@pytest.fixture(scope="module")
def moto():
    with ecs_moto() as server:
        yield server


@pytest.fixture
def world(moto, tmp_path) -> World:
    moto.reset()
    world = World(local_environments(tmp_path)["development"], moto.endpoint_url)
    world.client("secretsmanager").create_secret(
        Name=naming.neo4j_secret(world.env),
        SecretString=json.dumps({"ledgerspacebolturl": "bolt://10.1.1.5:7687"}),
    )
    return world


def _check(world: World, expected: str, tag: str = GOOD) -> Outcome:
    return tasks_current(
        world.client("ecs"),
        world.client("secretsmanager"),
        cluster=naming.ecs_cluster(world.env),
        service=naming.ecs_service(world.env),
        container=naming.CONTAINER_NAME,
        expected_task_definition=expected,
        expected_image_tag=tag,
        secret_names=(naming.neo4j_secret(world.env), naming.app_secret(world.env)),
    )


def _next_second() -> None:
    """moto keeps secret dates in whole seconds (AWS in milliseconds): let a change land in a later one."""
    time.sleep(1.05 - time.time() % 1)


def test_tasks_of_the_deployed_revision_started_after_their_secrets_pass(world) -> None:
    arn = world.app(GOOD)
    outcome = _check(world, arn)
    assert outcome.passed, outcome.reason
    (task,) = outcome.metadata["tasks"]
    assert task["task_definition"] == arn and task["image_tag"] == GOOD and task["last_status"] == "RUNNING"
    assert set(outcome.metadata["secrets_changed_at"]) == {"neo4j_dev_secrets", naming.app_secret(world.env)}


def test_a_task_started_before_the_neo4j_secret_changed_is_stale(world) -> None:
    """E.g. a database replaced (new private IPs in the secret) without a new app deployment."""
    arn = world.app(GOOD)
    _next_second()
    world.client("secretsmanager").put_secret_value(
        SecretId=naming.neo4j_secret(world.env),
        SecretString=json.dumps({"ledgerspacebolturl": "bolt://10.1.2.9:7687"}),
    )
    stale = _check(world, arn)
    assert not stale.passed
    assert "before neo4j_dev_secrets (changed " in stale.reason and "it runs the old values" in stale.reason
    assert stale.reason.endswith("(aws ecs update-service --force-new-deployment replaces them)")
    assert "bolt://" not in json.dumps(stale.metadata) + stale.reason  # the value is never read
    _next_second()
    world.client("ecs").update_service(
        cluster=naming.ecs_cluster(world.env), service=naming.ecs_service(world.env), forceNewDeployment=True
    )
    assert _check(world, arn).passed  # new tasks read the new value


def test_tasks_of_another_revision_or_image_are_reported(world) -> None:
    running = world.app(GOOD)
    intended = world.register(BAD)  # Terraform registered it; the service was not moved to it
    outcome = _check(world, intended, BAD)
    assert not outcome.passed
    assert f"runs {running}, the deploy intended {intended}" in outcome.reason
    assert f"runs image tag '{GOOD}', the deploy intended '{BAD}'" in outcome.reason


def test_a_missing_secret_and_no_running_task_are_reported(world) -> None:
    arn = world.app(GOOD)
    world.client("secretsmanager").delete_secret(
        SecretId=naming.app_secret(world.env), ForceDeleteWithoutRecovery=True
    )
    world.client("ecs").update_service(
        cluster=naming.ecs_cluster(world.env), service=naming.ecs_service(world.env), desiredCount=0
    )
    outcome = _check(world, arn)
    assert not outcome.passed
    assert f"secret {naming.app_secret(world.env)} does not exist" in outcome.reason
    assert "has no running task" in outcome.reason
