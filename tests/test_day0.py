"""Day 0 on moto: from an empty account to a running orchestrator with `deploy/day0.py`, then read the world.

One module-scoped world (tests/support/orchestrator_world.py) runs the documented sequence once: `state`,
`orchestrator` (no image yet), the image push, `all --image-tag --environment development`, then `all` again
(nothing may change). The tests below only read what it left in moto and in the state.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from .support.orchestrator_world import IMAGE_TAG, PROJECT, SEPARATE_ACCOUNT, OrchestratorWorld

pytestmark = pytest.mark.slow
ACCOUNT = "123456789012"
POLICIES = json.loads((PROJECT / "docs" / "deploy" / "credex-permissions.json").read_text())["components"]
NO_CHANGE = re.compile(r"day0: (\S+): 0 added, 0 changed, 0 destroyed")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrchestratorWorld]:
    world = OrchestratorWorld.start(tmp_path_factory.mktemp("day0"))
    try:
        steps = [
            ("state",),
            ("orchestrator",),
            ("push",),
            ("all", "--image-tag", IMAGE_TAG, "--environment", "development"),
            ("all", "--image-tag", IMAGE_TAG, "--environment", "development"),
        ]
        for step in steps:
            if step == ("push",):
                world.push_image()
                continue
            result = world.run_day0(*step)
            assert result.returncode == 0, f"day0 {' '.join(step)} failed:\n{result.output[-4000:]}"
        yield world
    finally:
        world.stop()


# moto stores neither `enableExecuteCommand` nor `availabilityZoneRebalancing` of a service, so every plan
# wants to set them again on the two services; nothing else may change on a second run.
MOTO_SERVICE_DRIFT = {"aws_ecs_service.webserver[0]", "aws_ecs_service.daemon[0]"}


def test_a_second_run_changes_nothing_but_what_moto_cannot_store(world: OrchestratorWorld) -> None:
    last = world.results[-1].output
    assert "bootstrap" in NO_CHANGE.findall(last), last[-3000:]
    planned = set(re.findall(r"\[orchestrator\] (\S+): Plan to (?:create|update|replace|delete)", last))
    assert planned <= MOTO_SERVICE_DRIFT, planned
    assert "day0: orchestrator: 0 added, " in last and ", 0 destroyed" in last
    for change in world.last_plan("orchestrator")["resource_changes"]:
        if change["change"]["actions"] != ["no-op"]:
            before, after = change["change"]["before"], change["change"]["after"]
            changed = {key for key in after if after[key] is not None and before.get(key) != after[key]}
            assert changed <= {"enable_execute_command", "availability_zone_rebalancing"}, (
                change["address"],
                changed,
            )


def test_the_bootstrap_state_moved_into_its_bucket_and_left_no_file(world: OrchestratorWorld) -> None:
    first = world.results[0].output
    assert "bootstrap state moved into s3://credex-terraform-state-orchestrator" in first
    state = world.state("bootstrap")
    buckets = {r["module"] for r in state["resources"] if r["type"] == "aws_s3_bucket"}
    assert len(buckets) == 4, buckets
    # Only the data dirs' backend settings (`{"backend": ...}`) remain on disk, never a state with resources.
    for path in world.work_dir.rglob("*.tfstate*"):
        content = json.loads(path.read_text())
        assert not content.get("resources") and "backend" in content, f"a local state was left behind: {path}"
    assert (
        not (world.work_dir / "bootstrap-local").exists()
        and not (world.work_dir / "data" / "bootstrap-local").exists()
    )
    # Later runs found the state in the bucket and never went back to a local backend.
    assert all("local state" not in result.output for result in world.results[1:])


@pytest.mark.parametrize(
    ("bucket", "account"),
    [
        ("credex-terraform-state-orchestrator", None),
        ("credex-terraform-state-development", None),
        ("credex-terraform-state-staging", None),
        ("credex-terraform-state-production", SEPARATE_ACCOUNT),
    ],
)
def test_state_buckets_are_versioned_encrypted_private_and_in_their_account(
    world: OrchestratorWorld, bucket: str, account: str | None
) -> None:
    s3 = world.client("s3", account)
    assert bucket in {b["Name"] for b in s3.list_buckets()["Buckets"]}, f"{bucket} not in account {account}"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4


def test_production_state_bucket_is_not_in_the_orchestrators_account(world: OrchestratorWorld) -> None:
    names = {b["Name"] for b in world.client("s3").list_buckets()["Buckets"]}
    assert "credex-terraform-state-production" not in names


def test_database_is_encrypted_protected_backed_up_and_its_password_in_no_state(
    world: OrchestratorWorld,
) -> None:
    rds = world.client("rds")
    db = rds.describe_db_instances(DBInstanceIdentifier="credex-orchestrator-db")["DBInstances"][0]
    assert db["StorageEncrypted"] and db["DeletionProtection"] and not db["PubliclyAccessible"]
    assert db["BackupRetentionPeriod"] >= 7
    secret_arn = db["MasterUserSecret"]["SecretArn"]
    password = json.loads(
        world.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"]
    )["password"]
    assert len(password) >= 8
    for workspace in ("bootstrap", "orchestrator"):
        assert password not in json.dumps(world.state(workspace)), f"the password is in the {workspace} state"
    for path in world.work_dir.rglob("*"):
        if path.is_file() and path.stat().st_size < 50_000_000:
            assert password.encode() not in path.read_bytes(), f"the password is in {path}"
    for result in world.results:
        assert password not in result.output


def _trust(iam, role: str) -> dict:
    document = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    return json.loads(document) if isinstance(document, str) else document


@pytest.mark.parametrize(
    ("environment", "account"), [("development", None), ("staging", None), ("production", SEPARATE_ACCOUNT)]
)
def test_each_deploy_role_carries_the_generated_policy_and_trusts_only_the_run_workers(
    world: OrchestratorWorld, environment: str, account: str | None
) -> None:
    iam = world.client("iam", account)
    role = f"credex-deploy-{environment}"
    arn = iam.get_role(RoleName=role)["Role"]["Arn"]
    assert arn == world.outputs()["deploy_role_arns"][environment]
    assert arn.split(":")[4] == (account or ACCOUNT)
    statements = _trust(iam, role)["Statement"]
    assert [s["Principal"] for s in statements] == [
        {"AWS": f"arn:aws:iam::{ACCOUNT}:role/credex-orchestrator-run-worker"}
    ]
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    assert {p["PolicyName"] for p in attached} == {f"credex-deploy-{environment}-{c}" for c in POLICIES}
    for policy in attached:
        component = policy["PolicyName"].rsplit("-", 1)[1]
        version = iam.get_policy(PolicyArn=policy["PolicyArn"])["Policy"]["DefaultVersionId"]
        document = iam.get_policy_version(PolicyArn=policy["PolicyArn"], VersionId=version)["PolicyVersion"][
            "Document"
        ]
        document = json.loads(document) if isinstance(document, str) else document
        assert document == POLICIES[component]["policy"], (
            f"{policy['PolicyName']} differs from the generated policy"
        )


def test_run_workers_may_assume_exactly_the_deploy_roles(world: OrchestratorWorld) -> None:
    iam = world.client("iam")
    document = iam.get_role_policy(RoleName="credex-orchestrator-run-worker", PolicyName="deploy")[
        "PolicyDocument"
    ]
    assume = [s for s in document["Statement"] if s["Action"] == "sts:AssumeRole"]
    assert len(assume) == 1
    assert set(assume[0]["Resource"]) == set(world.outputs()["deploy_role_arns"].values())
    for name in ("credex-orchestrator-webserver", "credex-orchestrator-daemon"):
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            text = json.dumps(iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"])
            assert "sts:AssumeRole" not in text, f"{name} can assume a role"


@pytest.mark.parametrize(("role", "account", "subject", "repository"), [
    ("credex-core-image-push-development", None, "repo:credex-dev/credex-core:environment:development", "credex-core-development"),
    ("credex-core-image-push-production", SEPARATE_ACCOUNT, "repo:credex-dev/credex-core:environment:production", "credex-core-production"),
    ("credex-orchestration-image-push", None, "repo:credex-dev/credex-orchestration:ref:refs/heads/main", "credex-orchestration"),
])  # fmt: skip
def test_image_roles_trust_one_github_subject_and_can_only_push(
    world: OrchestratorWorld, role: str, account: str | None, subject: str, repository: str
) -> None:
    iam = world.client("iam", account)
    (statement,) = _trust(iam, role)["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"]["Federated"].endswith(":oidc-provider/token.actions.githubusercontent.com")
    assert statement["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == subject
    (name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
    actions = {
        a
        for s in document["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert all(action.startswith("ecr:") for action in actions), actions
    scoped = [s for s in document["Statement"] if s["Resource"] != "*"]
    assert [s["Resource"].rsplit("/", 1)[1] for s in scoped] == [repository]


def test_services_run_the_image_and_the_ui_has_no_listener(world: OrchestratorWorld) -> None:
    ecs, outputs = world.client("ecs"), world.outputs()
    services = ecs.describe_services(
        cluster="credex-orchestrator",
        services=["credex-orchestrator-webserver", "credex-orchestrator-daemon"],
    )["services"]
    assert [s["status"] for s in services] == ["ACTIVE", "ACTIVE"]
    webserver, daemon = services
    assert not webserver["loadBalancers"]
    # ECS Exec (the only way to the UI) as Terraform asks for it: moto does not store the flag.
    planned = {
        c["address"]: c["change"]["after"] for c in world.last_plan("orchestrator")["resource_changes"]
    }
    assert planned["aws_ecs_service.webserver[0]"]["enable_execute_command"] is True
    # Never two daemons (moto does not return deploymentConfiguration: read what Terraform asks for).
    assert planned["aws_ecs_service.daemon[0]"]["deployment_maximum_percent"] == 100
    assert planned["aws_ecs_service.daemon[0]"]["deployment_minimum_healthy_percent"] == 0
    for service in services:
        assert service["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"
        definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
        images = {c["image"] for c in definition["containerDefinitions"]}
        assert images == {f"{outputs['image_repository_url']}:{IMAGE_TAG}"}
    groups = world.client("ec2").describe_security_groups(GroupIds=[outputs["tasks_security_group"]])
    assert groups["SecurityGroups"][0]["IpPermissions"] == [], "the orchestrator tasks accept connections"


def test_run_worker_definition_is_what_the_production_instance_launches(world: OrchestratorWorld) -> None:
    instance = yaml.safe_load((PROJECT / "deploy" / "dagster.yaml").read_text())
    launcher = instance["run_launcher"]["config"]
    definition = world.client("ecs").describe_task_definition(
        taskDefinition=world.outputs()["run_worker_task_definition"]
    )["taskDefinition"]
    (container,) = definition["containerDefinitions"]
    assert container["name"] == launcher["container_name"]
    environment = {item["name"]: item["value"] for item in container["environment"]}
    assert environment["DAGSTER_RUN_TASK_DEFINITION"] == definition["family"]
    storage = instance["storage"]["postgres"]["postgres_db"]
    needed = {value["env"] for value in storage.values() if isinstance(value, dict) and "env" in value}
    needed |= {instance["compute_logs"]["config"]["bucket"]["env"], launcher["task_definition"]["env"]}
    secrets = {item["name"] for item in container["secrets"]}
    assert needed <= set(environment) | secrets, needed - set(environment) - secrets
    assert secrets == {"DAGSTER_PG_PASSWORD"} and "DAGSTER_PG_PASSWORD" not in environment
    assert definition["taskRoleArn"].endswith(":role/credex-orchestrator-run-worker")


def test_first_deploy_is_queued_from_a_task_of_the_daemons_definition(world: OrchestratorWorld) -> None:
    ecs = world.client("ecs")
    arns = ecs.list_tasks(cluster="credex-orchestrator", startedBy="day0-first-deploy")["taskArns"]
    assert arns, "day0 started no task"
    task = ecs.describe_tasks(cluster="credex-orchestrator", tasks=arns[:1])["tasks"][0]
    (override,) = task["overrides"]["containerOverrides"]
    command = override["command"]
    assert (
        command[:3] == ["dagster", "job", "launch"]
        and command[command.index("-j") + 1] == "deploy_development"
    )
    config = json.loads(command[command.index("--config-json") + 1])
    assert set(config["ops"]) and all(op.startswith("development") for op in config["ops"]), config


def test_compute_log_bucket_is_private_and_encrypted(world: OrchestratorWorld) -> None:
    s3, bucket = world.client("s3"), world.outputs()["compute_logs_bucket"]
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]


def test_an_image_not_in_ecr_is_refused_before_anything_runs(world: OrchestratorWorld) -> None:
    before = world.state("orchestrator")["serial"]
    result = world.run_day0("orchestrator", "--image-tag", "f" * 40)
    assert result.returncode == 1
    assert "credex-orchestration:" + "f" * 40 + " is not in ECR" in result.output
    assert world.state("orchestrator")["serial"] == before


def test_environments_in_three_accounts_are_refused(world: OrchestratorWorld, tmp_path: Path) -> None:
    raw = yaml.safe_load((PROJECT / "environments.yaml").read_text())
    raw["environments"]["staging"]["aws"]["account"] = "staging-account"
    environments = tmp_path / "environments.yaml"
    environments.write_text(yaml.safe_dump(raw, sort_keys=False))
    result = world.run_day0("state", environments=environments)
    assert result.returncode == 1
    assert "environments live in 3 accounts" in result.output and "staging-account" in result.output


def test_outputs_print_what_the_deployer_wires_in(world: OrchestratorWorld) -> None:
    result = world.run_day0("outputs")
    assert result.returncode == 0, result.output[-2000:]
    printed = json.loads(result.stdout)
    assert set(printed["deploy_role_arns"]) == {"development", "staging", "production"}
    assert printed["orchestration_image_push_role_arn"].endswith(":role/credex-orchestration-image-push")
