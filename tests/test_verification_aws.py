"""Check 3 and the databases' and connectors' checks, on resources created in moto under naming.py's names."""

from __future__ import annotations

import json

import pytest

from credex_orchestration import naming
from credex_orchestration.verification import databases, network
from credex_orchestration.verification.databases import SECRET_KEYS
from credex_orchestration.verification.outcome import guarded

from .support.aws_world import World, ecs_moto
from .support.environments import local_environments


@pytest.fixture(scope="module")
def moto():
    with ecs_moto() as server:
        yield server


@pytest.fixture
def world(moto, tmp_path) -> World:
    moto.reset()
    return World(local_environments(tmp_path)["staging"], moto.endpoint_url)


def test_targets_healthy_and_not(world) -> None:
    made = world.network()
    elbv2, name = world.client("elbv2"), naming.target_group(world.env)
    empty = network.targets_healthy(elbv2, name)
    assert not empty.passed and "no registered targets" in empty.reason
    world.register_target(made["target_group"])
    assert network.targets_healthy(elbv2, name).passed
    # A stopped instance as a target: moto reports it "unused" (Target.InvalidState).
    instance = world.client("ec2").run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][
        0
    ]
    elbv2.register_targets(
        TargetGroupArn=made["target_group"], Targets=[{"Id": instance["InstanceId"], "Port": 3000}]
    )
    world.client("ec2").stop_instances(InstanceIds=[instance["InstanceId"]])
    outcome = network.targets_healthy(elbv2, name)
    assert not outcome.passed
    assert (
        f"1 of 2 targets of credex-tg-staging not healthy: {instance['InstanceId']} unused" in outcome.reason
    )


def test_missing_target_group_is_a_failed_check(world) -> None:
    outcome = guarded(
        "target health", lambda: network.targets_healthy(world.client("elbv2"), "credex-tg-staging")
    )
    assert not outcome.passed and outcome.reason.startswith("target health: AWS error TargetGroupNotFound")


def test_connectors_active_https_and_issued(world) -> None:
    made = world.network()
    elbv2, acm, balancer = world.client("elbv2"), world.client("acm"), naming.alb(world.env)
    assert network.load_balancer_active(elbv2, balancer).passed
    no_https = network.https_listener(elbv2, balancer)
    assert not no_https.passed and "no HTTPS listener on 443" in no_https.reason
    world.https_listener(made["balancer"], world.issued_certificate())
    assert network.https_listener(elbv2, balancer).passed
    issued = network.certificate_issued(elbv2, acm, balancer)
    assert issued.passed and issued.metadata["certificates"][0]["domain"] == "stage.mycredex.dev"


def test_a_certificate_pending_validation_fails(world) -> None:
    made = world.network()
    world.https_listener(made["balancer"], world.pending_certificate())
    outcome = network.certificate_issued(world.client("elbv2"), world.client("acm"), naming.alb(world.env))
    assert not outcome.passed and "stage.mycredex.dev PENDING_VALIDATION" in outcome.reason


def test_databases_pass_when_running_closed_and_complete(world) -> None:
    made = world.network()
    world.databases(made)
    ec2 = world.client("ec2")
    running = databases.instances_running(ec2, world.env)
    assert running.passed, running.reason
    assert {i["name"] for i in running.metadata["instances"]} == {
        "Neo4j-LedgerSpace-staging",
        "Neo4j-SearchSpace-staging",
    }
    closed = databases.neo4j_reachable_only_from_app(ec2, world.env)
    assert closed.passed, closed.reason
    secret = databases.secret_complete(world.client("secretsmanager"), world.env)
    assert secret.passed and secret.metadata["secret"] == "neo4j_stage_secrets"
    assert "s3cr3t" not in json.dumps(secret.metadata) + secret.reason


def test_databases_fail_on_a_stopped_instance_an_open_port_and_a_missing_key(world) -> None:
    made = world.network()
    incomplete = {key: "p4ssw0rd-value" for key in SECRET_KEYS - {"searchspacepass"}} | {
        "extra": "x-secret-x"
    }
    ids = world.databases(made, secret=incomplete)
    ec2 = world.client("ec2")
    ec2.stop_instances(InstanceIds=[ids[1]])
    ec2.authorize_security_group_ingress(
        GroupId=made[naming.neo4j_security_group(world.env)],
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 7687, "ToPort": 7687, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        ],
    )
    running = databases.instances_running(ec2, world.env)
    assert not running.passed and f"Neo4j-SearchSpace-staging ({ids[1]}) is stopped" in running.reason
    closed = databases.neo4j_reachable_only_from_app(ec2, world.env)
    assert not closed.passed and "7687-7687/tcp open to addresses 0.0.0.0/0" in closed.reason
    secret = databases.secret_complete(world.client("secretsmanager"), world.env)
    assert not secret.passed
    assert secret.metadata["missing_keys"] == ["searchspacepass"] and secret.metadata["unexpected_keys"] == [
        "extra"
    ]
    everything = json.dumps(secret.metadata) + secret.reason
    assert "p4ssw0rd" not in everything and "x-secret-x" not in everything


def test_a_secret_that_is_not_json_fails_without_quoting_it(world) -> None:
    world.client("secretsmanager").create_secret(
        Name="neo4j_stage_secrets", SecretString="pass=hunter2-secret"
    )
    outcome = databases.secret_complete(world.client("secretsmanager"), world.env)
    assert not outcome.passed and outcome.reason == "secret neo4j_stage_secrets is not a JSON object"


def test_absent_databases_are_failed_checks(world) -> None:
    ec2 = world.client("ec2")
    running = databases.instances_running(ec2, world.env)
    assert not running.passed and "Neo4j-LedgerSpace-staging: 0 instances, expected 1" in running.reason
    closed = databases.neo4j_reachable_only_from_app(ec2, world.env)
    assert not closed.passed and "not found" in closed.reason
    missing = guarded(
        "Neo4j secret", lambda: databases.secret_complete(world.client("secretsmanager"), world.env)
    )
    assert not missing.passed and "ResourceNotFoundException" in missing.reason


def test_log_redactor_masks_plain_and_json_secrets(moto, tmp_path) -> None:
    """Secrets stored as JSON are masked value by value; a plain-string secret is masked whole."""
    import boto3

    from credex_orchestration import naming
    from credex_orchestration.lib.aws import AwsSession
    from credex_orchestration.verification.app import secret_redactor

    from .support.environments import local_environments

    moto.reset()
    env = local_environments(tmp_path)["staging"]
    client = boto3.client("secretsmanager", region_name=env.aws.region, endpoint_url=moto.endpoint_url)
    client.create_secret(Name=naming.neo4j_secret(env), SecretString='{"ledgerspacepass": "neo-pass-123"}')
    client.create_secret(Name=naming.app_secret(env), SecretString="plain-jwt-secret-456")
    redact = secret_redactor(AwsSession(region=env.aws.region, endpoint_url=moto.endpoint_url), env)
    line = redact("auth neo-pass-123 jwt plain-jwt-secret-456 ok")
    assert line == "auth *** jwt *** ok"
