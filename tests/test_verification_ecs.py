"""Checks 1 and 2 and the rollback, on ECS: moto for real services, botocore's Stubber for rollout sequences."""

from __future__ import annotations

import json
import time

import boto3
import pytest
from botocore.stub import Stubber

from credex_orchestration import naming
from credex_orchestration.environments import HealthSettings
from credex_orchestration.verification import api, ecs, rollback
from credex_orchestration.verification.checks import secret_redactor
from credex_orchestration.verification.outcome import guarded
from credex_orchestration.verification.revisions import Revision

from .support.api_server import ApiServer
from .support.aws_world import World, ecs_moto
from .support.environments import local_environments


@pytest.fixture(scope="module")
def moto():
    with ecs_moto() as server:
        yield server


@pytest.fixture
def world(moto, tmp_path) -> World:
    moto.reset()
    return World(local_environments(tmp_path)["development"], moto.endpoint_url)


class Clock:
    """A clock that `sleep` advances, so a 10-minute bound is tested in no time."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _service(state: str, running: int, desired: int = 2, reason: str = "") -> dict:
    return {
        "services": [
            {
                "serviceName": "credex-core-service-development",
                "runningCount": running,
                "desiredCount": desired,
                "deployments": [
                    {
                        "id": "ecs-svc/2",
                        "status": "PRIMARY",
                        "rolloutState": state,
                        "rolloutStateReason": reason,
                        "runningCount": running,
                        "desiredCount": desired,
                        "pendingCount": desired - running,
                        "failedTasks": 0 if state != "FAILED" else 3,
                    },
                    {"id": "ecs-svc/1", "status": "ACTIVE", "runningCount": desired, "desiredCount": desired},
                ],
            }
        ],
        "failures": [],
    }


def _stubbed(*answers: dict):
    client = boto3.client("ecs", region_name="af-south-1")
    stub = Stubber(client)
    for answer in answers:
        stub.add_response("describe_services", answer)
    return client, stub


def _wait(client, logs, clock: Clock, lines: list[str], timeout: float = 600, redact=str) -> object:
    return ecs.wait_until_stable(
        client,
        logs,
        cluster="credex-cluster-development",
        service="credex-core-service-development",
        log_group="/ecs/credex-core-development",
        timeout_seconds=timeout,
        poll_interval_seconds=10,
        log=lines.append,
        redact=redact,
        clock=clock,
        sleep=clock.sleep,
    )


def test_rollout_in_progress_then_completed_passes_with_progress_logged() -> None:
    """Stubber: moto cannot produce an IN_PROGRESS -> COMPLETED sequence, so botocore's Stubber answers."""
    client, stub = _stubbed(
        _service("IN_PROGRESS", 0),
        _service("IN_PROGRESS", 1),
        _service("COMPLETED", 1),
        _service("COMPLETED", 2),
    )
    clock, lines = Clock(), []
    with stub:
        outcome = _wait(client, None, clock, lines)
        stub.assert_no_pending_responses()
    assert outcome.passed, outcome.reason
    # COMPLETED with 1 of 2 running is not stable yet: the waiter's mistake is not repeated.
    assert outcome.metadata["polls"] == 4 and outcome.metadata["running_count"] == 2
    assert lines[0].startswith("credex-core-service-development: 0s, rollout IN_PROGRESS, running 0/2")
    assert "30s, rollout COMPLETED, running 2/2" in lines[-1]


def test_failed_rollout_fails_fast_with_stopped_reasons_and_log_lines(world) -> None:
    """Stubber answers ECS (moto has no circuit breaker); the log lines come from CloudWatch Logs in moto."""
    world.app("abc1234")  # creates the log group with three lines
    world.client("secretsmanager").create_secret(
        Name="neo4j_dev_secrets", SecretString=json.dumps({"ledgerspacepass": "hunter2-pass"})
    )
    world.client("logs").put_log_events(
        logGroupName="/ecs/credex-core-development",
        logStreamName="ecs/credex-core/1",
        logEvents=[{"timestamp": int(time.time() * 1000) + 10, "message": "auth failed for hunter2-pass"}],
    )
    client, stub = _stubbed(
        _service("IN_PROGRESS", 0),
        _service("FAILED", 0, reason="ECS deployment circuit breaker: tasks failed"),
    )
    stopped = "arn:aws:ecs:af-south-1:000000000000:task/credex-cluster-development/abc"
    stub.add_response("list_tasks", {"taskArns": [stopped]})
    stub.add_response(
        "describe_tasks",
        {
            "tasks": [
                {
                    "taskArn": stopped,
                    "taskDefinitionArn": "arn:aws:ecs:af-south-1:000000000000:task-definition/credex-core-development:2",
                    "stoppedReason": "Essential container in task exited",
                    "stopCode": "EssentialContainerExited",
                    "containers": [{"name": "credex-core", "exitCode": 1, "reason": ""}],
                }
            ],
            "failures": [],
        },
    )
    clock, lines = Clock(), []
    with stub:
        outcome = _wait(client, world.client("logs"), clock, lines, redact=secret_redactor(world, world.env))
    assert not outcome.passed
    assert outcome.reason.startswith("rollout of credex-core-service-development FAILED (circuit breaker)")
    assert clock.now == 10  # failed on the second poll, no waiting for the bound
    assert outcome.metadata["stopped_tasks"][0]["stopped_reason"] == "Essential container in task exited"
    assert outcome.metadata["stopped_tasks"][0]["containers"][0]["exit_code"] == 1
    assert outcome.metadata["log_lines"][-3:] == [
        "ecs/credex-core/1: Error: cannot connect to Neo4j",
        "ecs/credex-core/1: exiting",
        "ecs/credex-core/1: auth failed for ***",  # a secret the app printed is masked
    ]


def test_a_rollout_that_never_finishes_fails_at_the_bound() -> None:
    """Stubber: a deployment stuck IN_PROGRESS; the bound ends the wait, with the evidence gathered."""
    client, stub = _stubbed(*[_service("IN_PROGRESS", 1)] * 4)
    stub.add_response("list_tasks", {"taskArns": []})
    clock, lines = Clock(), []
    logs = boto3.client("logs", region_name="af-south-1")
    logs_stub = Stubber(logs)
    logs_stub.add_client_error("describe_log_streams", "ResourceNotFoundException", http_status_code=400)
    with stub, logs_stub:
        outcome = _wait(client, logs, clock, lines, timeout=35)
    assert not outcome.passed and "not stable within 35s: rollout IN_PROGRESS, running 1/2" in outcome.reason
    assert len(lines) == 4 and outcome.metadata["stopped_tasks"] == []
    assert outcome.metadata["log_lines"] == ["(log group /ecs/credex-core-development does not exist)"]


def test_a_moto_service_with_running_tasks_is_stable(world) -> None:
    world.app("abc1234")
    lines: list[str] = []
    outcome = ecs.wait_until_stable(
        world.client("ecs"),
        world.client("logs"),
        cluster=naming.ecs_cluster(world.env),
        service=naming.ecs_service(world.env),
        log_group=naming.log_group(world.env),
        timeout_seconds=5,
        poll_interval_seconds=0.1,
        log=lines.append,
    )
    assert outcome.passed, outcome.reason
    assert outcome.metadata["rollout_state"] == "COMPLETED" and outcome.metadata["running_count"] == 1


def _status(world: World, expected_arn, expected_tag):
    return guarded(
        "ECS status",
        lambda: ecs.status(
            world.client("ecs"),
            cluster=naming.ecs_cluster(world.env),
            service=naming.ecs_service(world.env),
            container=naming.CONTAINER_NAME,
            expected_task_definition=expected_arn,
            expected_image_tag=expected_tag,
        ),
    )


def test_status_passes_on_the_deployed_revision_and_image(world) -> None:
    arn = world.app("abc1234")
    outcome = _status(world, arn, "abc1234")
    assert outcome.passed, outcome.reason
    assert outcome.metadata["cluster_status"] == "ACTIVE" and outcome.metadata["image_tag"] == "abc1234"


def test_status_fails_on_another_revision_or_image(world) -> None:
    old = world.app("abc1234")
    new = world.register("def5678")  # registered, but the service was never moved to it
    outcome = _status(world, new, "def5678")
    assert not outcome.passed
    assert f"service runs {old}, but this deploy's task definition is {new}" in outcome.reason
    assert "image tag is 'abc1234', deployed git SHA is 'def5678'" in outcome.reason


def test_status_without_a_cluster_is_a_failed_check_not_a_traceback(world) -> None:
    outcome = _status(world, "arn:aws:ecs:af-south-1:000000000000:task-definition/x:1", "abc1234")
    assert not outcome.passed
    assert outcome.reason == "ECS status: AWS error ClusterNotFoundException: Cluster not found."


def test_rollback_moves_the_service_to_the_last_good_revision_and_rechecks_health(world) -> None:
    good = world.app("abc1234")
    bad = world.deploy("def5678")
    assert world.running() == bad
    with ApiServer() as server:
        server.healthy_when = lambda: world.running() == good  # the bad revision answers 500
        before = api.health(server.url, HealthSettings(consecutive=2), 2, log=lambda _: None)
        assert not before.passed and "HTTP 500" in before.reason
        lines: list[str] = []
        record = rollback.roll_back(
            world.client("ecs"),
            cluster=naming.ecs_cluster(world.env),
            service=naming.ecs_service(world.env),
            current=bad,
            to=Revision(good, "abc1234", "run-1"),
            why="api_health: HTTP 500",
            wait_stable=lambda: ecs.wait_until_stable(
                world.client("ecs"),
                world.client("logs"),
                cluster=naming.ecs_cluster(world.env),
                service=naming.ecs_service(world.env),
                log_group=naming.log_group(world.env),
                timeout_seconds=5,
                poll_interval_seconds=0.1,
                log=lines.append,
            ),
            health=lambda: api.health(server.url, HealthSettings(consecutive=2), 2, log=lines.append),
            log=lines.append,
        )
    assert world.running() == good
    assert (
        record["rolled_back"]
        and record["from_task_definition"] == bad
        and record["to_task_definition"] == good
    )
    assert record["why"] == "api_health: HTTP 500"
    assert record["stable_after_rollback"] and record["healthy_after_rollback"]
    assert (
        lines[0]
        == f"rolling credex-core-service-development back from {bad} to {good} (image abc1234): api_health: HTTP 500"
    )


def test_no_rollback_without_an_earlier_passing_revision_or_outside_a_deploy() -> None:
    good = Revision("arn:...:1", "abc1234", "run-1")
    assert "nothing to roll back to" in rollback.decide(
        deployed_in_run=True, current="arn:...:2", last_good=None
    )
    assert "already runs the last revision that passed" in rollback.decide(
        deployed_in_run=True, current="arn:...:1", last_good=good
    )
    assert "verification-only run" in rollback.decide(
        deployed_in_run=False, current="arn:...:2", last_good=good
    )
    assert rollback.decide(deployed_in_run=True, current="arn:...:2", last_good=good) is None
