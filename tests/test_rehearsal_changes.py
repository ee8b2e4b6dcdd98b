"""Changes after a first deploy, each one an apply-time fault of the roots, rehearsed against moto.

Runs on staging's databases and app, deployed into development's network (`network_from`, saving the
connectors apply); the tests run in file order and each leaves staging as its environment's settings
describe it, but for the new-AMI tests at the end, each starting from what the one before left: refused
(plans only), stopped after an unhealthy LedgerSpace (on AMI "-next"), then rolled out (on "-later").
Where moto cannot do what AWS does, the test says so: moto never rolls an ECS deployment out (a forced
new deployment shows as a new PRIMARY deployment id), and reports EC2 status checks "ok" the moment an
instance runs (the roll-out's health wait passes at once; the unhealthy-instance test stands in for
exactly DescribeInstanceStatus, tests/support/status_checks.py).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from credex_orchestration import naming
from credex_orchestration.components.database_guard import (
    DestructivePlanRefused,
    prevented_destroys,
    stopping_updates,
)
from credex_orchestration.components.database_rollout import (
    ReplacementNotConfirmed,
    UnhealthyDatabase,
    databases_plan_step,
)
from credex_orchestration.components.replace_override import OVERRIDE_FILE, render_override
from credex_orchestration.deploy.config import DatabasesDeployConfig
from credex_orchestration.environments import DatabaseRolloutSettings, Environment
from credex_orchestration.lib.terraform import TerraformError
from credex_orchestration.resources import AwsResource

from .support.rehearsal import Deployed, RehearsalWorld
from .support.status_checks import ImpairedStatusChecks

ENV = "staging"
SECOND_TAG = "2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e"


@pytest.fixture(scope="module")
def staging(rehearsal_staging: Deployed) -> Deployed:
    """The session's staging world (tests/support/rehearsal.py); these tests are the ones that change it."""
    return rehearsal_staging


def _service(world: RehearsalWorld) -> dict:
    env = world.environment(ENV)
    (service,) = world.client("ecs").describe_services(
        cluster=naming.ecs_cluster(env), services=[naming.ecs_service(env)]
    )["services"]
    return service


def _app_variables(world: RehearsalWorld, tag: str) -> dict:
    return world.variables("app", ENV, image_tag=tag, network_from="development")


def _db_variables(world: RehearsalWorld, **overrides) -> dict:
    return world.variables("databases", ENV, network_from="development", **overrides)


def test_a_new_image_keeps_the_revision_a_rollback_needs_active(staging: Deployed) -> None:
    world = staging.world
    old = staging.outputs["app"]["task_definition_arn"]
    plan, _ = world.apply("app", ENV, _app_variables(world, SECOND_TAG))
    assert "replace" in {c.action for c in plan.changes if c.address == "aws_ecs_task_definition.app"}
    new = world.outputs("app", ENV)["task_definition_arn"]
    assert new != old and _service(world)["taskDefinition"] == new
    ecs = world.client("ecs")
    assert ecs.describe_task_definition(taskDefinition=old)["taskDefinition"]["status"] == "ACTIVE"
    assert ecs.describe_task_definition(taskDefinition=new)["taskDefinition"]["status"] == "ACTIVE"
    assert not world.plan("app", ENV, _app_variables(world, SECOND_TAG)).has_changes


def test_an_operators_secret_value_redeploys_the_app_and_is_never_overwritten(staging: Deployed) -> None:
    """The first deploy wrote a generated JWT_SECRET and empty keys; the operator's put-secret-value
    changes the current version, so the next app deploy redeploys (triggers + force_new_deployment)."""
    world = staging.world
    secrets = world.client("secretsmanager")
    name = naming.app_secret(world.environment(ENV))
    value = {
        "JWT_SECRET": "j" * 48,
        "OPEN_EXCHANGE_RATES_API": "oxr",
        "CLIENT_API_KEY": "c",
        "WHATSAPP_BOT_API_KEY": "w",
    }
    secrets.put_secret_value(SecretId=name, SecretString=json.dumps(value))
    deployment = _service(world)["deployments"][0]["id"]

    plan, _ = world.apply("app", ENV, _app_variables(world, SECOND_TAG))
    assert [(c.address, c.action) for c in plan.changes] == [("aws_ecs_service.app", "update")]
    assert _service(world)["deployments"][0]["id"] != deployment  # a new deployment was forced
    assert json.loads(secrets.get_secret_value(SecretId=name)["SecretString"]) == value
    assert not world.plan("app", ENV, _app_variables(world, SECOND_TAG)).has_changes
    assert json.loads(secrets.get_secret_value(SecretId=name)["SecretString"]) == value


def test_a_user_data_change_updates_instances_in_place_with_a_stop(staging: Deployed) -> None:
    """The licence path of the boot script (edition) changes user data: an in-place update that stops
    both instances, never a replacement (user_data_replace_on_change = false). Planned only."""
    world = staging.world
    plan = world.plan("databases", ENV, _db_variables(world, neo4j_edition="enterprise"))
    actions = {c.address: c.action for c in plan.changes}
    assert actions["aws_instance.ledgerspace"] == actions["aws_instance.searchspace"] == "update"
    shown = world.workspace("databases", ENV).show_plan(plan)
    assert stopping_updates(shown) == ["aws_instance.ledgerspace", "aws_instance.searchspace"]


@contextmanager
def _stopped_together(world: RehearsalWorld) -> Iterator[list[set[str]]]:
    """Samples which staging Neo4j instances are not running, every 0.1 s, while the block runs."""
    env = world.environment(ENV)
    names = {naming.neo4j_instance(env, space): space for space in ("LedgerSpace", "SearchSpace")}
    ec2 = world.client("ec2", ENV)
    samples: list[set[str]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            reservations = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": list(names)}])
            down = {
                names[tag["Value"]]
                for r in reservations["Reservations"]
                for i in r["Instances"]
                if i["State"]["Name"] in ("stopping", "stopped", "pending", "shutting-down")
                for tag in i.get("Tags", [])
                if tag["Key"] == "Name"
            }
            samples.append(down)
            time.sleep(0.1)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield samples
    finally:
        done.set()
        thread.join()


def _rollout(
    world: RehearsalWorld,
    variables: dict,
    allow: bool = False,
    run_id: str = "rehearsal",
    *,
    environment: Environment | None = None,
    aws: Any = None,
):
    """The databases' plan step as a deploy runs it, then the apply of what it returns."""
    env = environment or world.environment(ENV)
    logged: list[str] = []
    step = databases_plan_step(
        env,
        world.terraform,
        aws or AwsResource(endpoint_url=world.endpoint_url),
        variables,
        DatabasesDeployConfig(allow_database_replacement=allow),
        run_id=run_id,
        log=logged.append,
    )
    workspace = world.workspace("databases", ENV)
    plan, extra = step(workspace, world.terraform.plan_path(env, "databases", run_id))
    workspace.apply(plan)
    return extra, logged


def _snapshots(world: RehearsalWorld) -> list[dict]:
    """The roll-out's pre-replacement snapshots of staging's data volumes."""
    filters = [
        {"Name": "tag:Environment", "Values": [ENV]},
        {"Name": "tag:Purpose", "Values": ["pre-replacement"]},
    ]
    return world.client("ec2", ENV).describe_snapshots(OwnerIds=["self"], Filters=filters)["Snapshots"]


def _state_versions(world: RehearsalWorld) -> list[str]:
    """Every stored version of staging's state files (lock files aside): any write adds one."""
    return sorted(key for key in world.state_objects(ENV) if ".tflock@" not in key)


def _instance(world: RehearsalWorld, instance_id: str) -> dict:
    (reservation,) = world.client("ec2", ENV).describe_instances(InstanceIds=[instance_id])["Reservations"]
    return reservation["Instances"][0]


def _termination_protected(world: RehearsalWorld, instance_id: str) -> bool:
    attribute = world.client("ec2", ENV).describe_instance_attribute(
        InstanceId=instance_id, Attribute="disableApiTermination"
    )
    return attribute["DisableApiTermination"]["Value"]


def _digest(directory: Path) -> dict[str, str]:
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file() and ".terraform" not in path.parts
    }


def test_an_instance_type_change_stops_one_instance_at_a_time(staging: Deployed) -> None:
    """First the fault: a plain apply of a new instance type stops both instances at once. Then the
    roll-out applies the change back one instance at a time: never both down together."""
    world = staging.world
    original = world.environment(ENV).neo4j.instance_type
    with _stopped_together(world) as samples:
        world.apply("databases", ENV, _db_variables(world, instance_type="r5.xlarge"))
    assert {"LedgerSpace", "SearchSpace"} in samples, "the plain apply stopped both together"

    with _stopped_together(world) as samples:
        extra, _ = _rollout(world, _db_variables(world, instance_type=original))
    assert {"LedgerSpace", "SearchSpace"} not in samples
    assert any(s == {"LedgerSpace"} for s in samples) and any(s == {"SearchSpace"} for s in samples)
    order = extra["update_order"].data
    assert [step["role"] for step in order] == ["LedgerSpace", "SearchSpace"]
    assert order[0]["addresses"] == ["aws_instance.ledgerspace"]
    assert extra["applied"] is True
    ec2 = world.client("ec2", ENV)
    for space in ("ledgerspace", "searchspace"):
        instance_id = world.outputs("databases", ENV)[f"{space}_instance_id"]
        attribute = ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="instanceType")
        assert attribute["InstanceType"]["Value"] == original
    assert not world.plan("databases", ENV, _db_variables(world)).has_changes


def test_a_new_ami_is_refused_without_the_opt_in_and_nothing_is_applied(
    staging: Deployed, tmp_path: Path
) -> None:
    """The real root's prevent_destroy makes the plan fail; the roll-out turns that into its own refusal
    (what Terraform refused, how to opt in), not a raw Terraform error. A protected environment also needs
    the confirmation (the world deploys no production: staging marked protected stands in, the check reads
    nothing else). Plans only: nothing is applied, no snapshot taken, state never written."""
    world = staging.world
    env = world.environment(ENV)
    old = world.outputs("databases", ENV)
    variables = _db_variables(world, ami_id=world.neo4j_ami(ENV, label="-next"))
    versions = _state_versions(world)

    with pytest.raises(DestructivePlanRefused) as refused:
        _rollout(world, variables)
    message = str(refused.value)
    assert "aws_instance.ledgerspace" in message and "aws_instance.searchspace" in message
    assert "aws_ebs_volume" not in message  # only what Terraform refused to destroy is listed
    assert f"ops.{ENV}__databases.config.allow_database_replacement: true" in message
    assert "Nothing was applied" in message and "confirm_environment" not in message
    assert "Instance cannot be destroyed" not in message and "prevent_destroy set" not in message

    protected = env.model_copy(update={"protected": True})
    with pytest.raises(
        DestructivePlanRefused, match=f"allow_database_replacement: true and confirm_environment: {ENV}"
    ):
        _rollout(world, variables, environment=protected)
    with pytest.raises(ReplacementNotConfirmed, match=f"confirm_environment: {ENV} .*nothing was applied"):
        _rollout(world, variables, allow=True, environment=protected)

    # Allowed, but a data volume cannot be found to snapshot (its Role tag gone): refused as well.
    ec2 = world.client("ec2", ENV)
    role_tag = [{"Key": "Role", "Value": "LedgerSpace"}]
    ec2.delete_tags(Resources=[old["ledgerspace_data_volume_id"]], Tags=role_tag)
    try:
        with pytest.raises(RuntimeError, match=f"no data volume tagged Environment={ENV}, Role=LedgerSpace"):
            _rollout(world, variables, allow=True)
    finally:
        ec2.create_tags(Resources=[old["ledgerspace_data_volume_id"]], Tags=role_tag)

    # The override lifts prevent_destroy from the one instance it names: SearchSpace still stops the plan.
    workspace = world.workspace("databases", ENV)
    checked_in = _digest(workspace.root)
    scoped = workspace.with_extra_files(
        {OVERRIDE_FILE: render_override("aws_instance.ledgerspace")}, tmp_path
    )
    with pytest.raises(TerraformError) as still:
        scoped.plan(tmp_path / "untargeted.tfplan", variables)
    assert prevented_destroys(still.value) == ["aws_instance.searchspace"]
    assert _digest(workspace.root) == checked_in and not (workspace.root / OVERRIDE_FILE).exists()
    with pytest.raises(ValueError, match="plain"):
        workspace.with_extra_files({"../escape.tf": ""}, tmp_path / "escape")

    assert world.outputs("databases", ENV) == old
    assert _state_versions(world) == versions
    assert _snapshots(world) == []


def test_an_unhealthy_ledgerspace_stops_the_rollout_before_searchspace(staging: Deployed) -> None:
    """Allowed: both data volumes snapshotted, LedgerSpace replaced, and its health wait fails (moto
    reports status checks "ok" at once: `ImpairedStatusChecks` stands in for exactly DescribeInstanceStatus,
    reporting the new instance impaired), so SearchSpace is never touched."""
    world = staging.world
    env = world.environment(ENV)
    short = env.model_copy(
        update={
            "database_rollout": DatabaseRolloutSettings(health_timeout_seconds=2, poll_interval_seconds=0.2)
        }
    )
    old = world.outputs("databases", ENV)
    new_ami = world.neo4j_ami(ENV, label="-next")
    impaired = ImpairedStatusChecks(world.endpoint_url)

    with pytest.raises(UnhealthyDatabase) as stopped:
        _rollout(
            world,
            _db_variables(world, ami_id=new_ami),
            allow=True,
            run_id="rehearsal-unhealthy",
            environment=short,
            aws=impaired,
        )
    ledgerspace = naming.neo4j_instance(env, "LedgerSpace")
    assert f"{ledgerspace} did not become healthy on {new_ami}" in str(stopped.value)
    assert "the next instance was not replaced" in str(stopped.value)

    now = world.outputs("databases", ENV)
    replaced = _instance(world, now["ledgerspace_instance_id"])
    assert now["ledgerspace_instance_id"] != old["ledgerspace_instance_id"] and replaced["ImageId"] == new_ami
    assert impaired.asked and all(ids == [now["ledgerspace_instance_id"]] for ids in impaired.asked)
    assert _instance(world, old["ledgerspace_instance_id"])["State"]["Name"] == "terminated"
    assert now["searchspace_instance_id"] == old["searchspace_instance_id"]  # never touched
    searchspace = _instance(world, old["searchspace_instance_id"])
    assert searchspace["State"]["Name"] == "running" and searchspace["ImageId"] != new_ami
    assert _termination_protected(world, now["ledgerspace_instance_id"])
    assert _termination_protected(world, old["searchspace_instance_id"])  # never lifted
    assert now["ledgerspace_data_volume_id"] == old["ledgerspace_data_volume_id"]

    snapshots = _snapshots(world)  # taken before anything changed
    assert sorted(s["VolumeId"] for s in snapshots) == sorted(
        old[f"{space}_data_volume_id"] for space in ("ledgerspace", "searchspace")
    )
    assert max(s["StartTime"] for s in snapshots) <= replaced["LaunchTime"]


def test_a_new_ami_replaces_one_instance_at_a_time_keeping_passwords_and_redeploys_the_app(
    staging: Deployed,
) -> None:
    """Allowed: snapshots, LedgerSpace then SearchSpace
    replaced (termination protection lifted for that instance alone; moto refuses to terminate a protected
    one), data volumes kept, the secret rewritten with the new addresses and the same passwords, and the
    app's next plan redeploys the service."""
    world = staging.world
    env = world.environment(ENV)
    secrets = world.client("secretsmanager")
    before = json.loads(secrets.get_secret_value(SecretId=naming.neo4j_secret(env))["SecretString"])
    old = world.outputs("databases", ENV)
    new_ami = world.neo4j_ami(ENV, label="-later")  # after the stopped roll-out onto "-next"
    variables = _db_variables(world, ami_id=new_ami)
    checked_in = _digest(world.workspace("databases", ENV).root)

    with _stopped_together(world) as samples:
        extra, logged = _rollout(world, variables, allow=True, run_id="rehearsal-ami")
    assert {"LedgerSpace", "SearchSpace"} not in samples
    assert any("replacing LedgerSpace" in line for line in logged)
    order = extra["replacement_order"].data
    assert [step["role"] for step in order] == ["LedgerSpace", "SearchSpace"]
    assert len(extra["snapshots"].data) == 2
    new = world.outputs("databases", ENV)
    ec2 = world.client("ec2", ENV)
    for space in ("ledgerspace", "searchspace"):
        assert new[f"{space}_instance_id"] != old[f"{space}_instance_id"]
        assert new[f"{space}_data_volume_id"] == old[f"{space}_data_volume_id"]
        (gone,) = ec2.describe_instances(InstanceIds=[old[f"{space}_instance_id"]])["Reservations"]
        assert gone["Instances"][0]["State"]["Name"] == "terminated"
        protection = ec2.describe_instance_attribute(
            InstanceId=new[f"{space}_instance_id"], Attribute="disableApiTermination"
        )
        assert protection["DisableApiTermination"]["Value"] is True
    after = json.loads(secrets.get_secret_value(SecretId=naming.neo4j_secret(env))["SecretString"])
    assert after["ledgerspacepass"] == before["ledgerspacepass"]
    assert after["searchspacepass"] == before["searchspacepass"]
    assert after["ledgerspacebolturl"] == f"bolt://{new['ledgerspace_private_ip']}:7687"
    assert after["searchspacebolturl"] == f"bolt://{new['searchspace_private_ip']}:7687"
    assert new["neo4j_secret_version_id"] != old["neo4j_secret_version_id"]
    assert not world.plan("databases", ENV, variables).has_changes
    # prevent_destroy stays in the checked-in root; no override outlived its apply.
    assert _digest(world.workspace("databases", ENV).root) == checked_in
    assert not list(world.terraform.work_path.rglob(OVERRIDE_FILE))

    deployment = _service(world)["deployments"][0]["id"]
    plan, _ = world.apply("app", ENV, _app_variables(world, SECOND_TAG))
    assert [(c.address, c.action) for c in plan.changes] == [("aws_ecs_service.app", "update")]
    assert _service(world)["deployments"][0]["id"] != deployment
