"""use_existing_resources on the real roots: what the old system left is imported, and the plan is clean.

An environment the old system deployed and this project takes over (`model_001`, which the old system added
later: reference "Environments and branches"), with no state: its resources are made with boto3 as the old
system left them (tests/support/old_system.py) in the session's rehearsal moto, then imported by the deploy
step's import path (`credex_orchestration.deploy.imports.use_existing_resources`, what `import_before_plan`
runs when the deploy config sets use_existing_resources) into the real connectors and app roots. Only
connectors is applied after its import (the app's variables read its outputs); development and staging are
not touched (model_001's names and tags are its own).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from credex_orchestration import naming
from credex_orchestration.components import app
from credex_orchestration.deploy.imports import TagMismatchError, use_existing_resources
from credex_orchestration.deploy.state_import import ImportResult
from credex_orchestration.environments import load_environments
from credex_orchestration.rehearsal import seed
from credex_orchestration.resources import AwsResource

from .support.old_system import leave_old_system
from .support.rehearsal import FIRST_IMAGE_TAG, RehearsalWorld

ENV = "model_001"
CONNECTORS_IMPORTED = {
    "aws_vpc.main": "vpc",
    "aws_subnet.public[0]": "public_0",
    "aws_subnet.public[1]": "public_1",
    "aws_subnet.private[0]": "private_0",
    "aws_subnet.private[1]": "private_1",
    "aws_internet_gateway.main": "igw",
    "aws_eip.nat[0]": "eip",
    "aws_nat_gateway.main[0]": "nat",
    "aws_route_table.public": "public_rt",
    "aws_route_table.private[0]": "private_rt",
    "aws_security_group.alb": "alb_security_group",
    "aws_security_group.ecs_tasks": "ecs_tasks_security_group",
    "aws_security_group.neo4j": "neo4j_security_group",
    "aws_lb.main": "alb",
    "aws_lb_target_group.app": "target_group",
    "aws_lb_listener.https": "https_listener",
}
# What the old system did not leave, or left inside another resource: the root's own certificate (DNS
# validated; the old one stays until the listener no longer uses it), the HTTP redirect listener, the ECR
# lifecycle policy, the domain's alias (over the old A record), the security group rules (separate resources
# in the root). The certificate comes with the HTTPS listener's import (it depends on it); the rest with the
# deploy's plan.
CREATED_WITH_IMPORT = {
    "aws_acm_certificate.main",
    "aws_acm_certificate_validation.main",
    'aws_route53_record.validation["model.mycredex.dev"]',
}
CREATED_AFTER_IMPORT = {
    "aws_ecr_lifecycle_policy.app",
    "aws_lb_listener.http",
    "aws_route53_record.app",
    "aws_vpc_security_group_egress_rule.alb_to_tasks",
    "aws_vpc_security_group_egress_rule.neo4j_https",
    "aws_vpc_security_group_egress_rule.tasks_https",
    "aws_vpc_security_group_egress_rule.tasks_to_neo4j_bolt",
    "aws_vpc_security_group_ingress_rule.alb_http",
    "aws_vpc_security_group_ingress_rule.alb_https",
    "aws_vpc_security_group_ingress_rule.neo4j_bolt_from_tasks",
    "aws_vpc_security_group_ingress_rule.neo4j_http_from_tasks",
    "aws_vpc_security_group_ingress_rule.tasks_from_alb",
}


@pytest.fixture(scope="module")
def taken_over(rehearsal: RehearsalWorld, tmp_path_factory: pytest.TempPathFactory) -> RehearsalWorld:
    """The rehearsal world with model_001 added to its environments (same moto, same engine), its state
    bucket (the bootstrap root's), the hosted zone with the old A record, and what the old system left."""
    raw = yaml.safe_load((rehearsal.work_dir / "environments.yaml").read_text())
    model = dict(raw["environments"]["development"], branch="model", auto_deploy=False)
    model.update(domain="model.mycredex.dev", base_url="https://model.mycredex.dev")
    model["network"] = {"vpc_cidr": "10.7.0.0/16", "nat_gateway_count": 1}
    model["state"] = dict(model["state"], bucket="credex-terraform-state-model-001")
    raw["environments"][ENV] = model
    path = tmp_path_factory.mktemp("model_001") / "environments.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    world = dataclasses.replace(rehearsal, environments=load_environments(path))
    env = world.environment(ENV)
    seed.state_bucket(env, world.endpoint_url)
    seed.old_system_record(env, world.endpoint_url)
    world.old = leave_old_system(env, world.endpoint_url)  # type: ignore[attr-defined]
    return world


def _import(world: RehearsalWorld, component: str, variables: dict, run: Path) -> ImportResult:
    env = world.environment(ENV)
    session = AwsResource(endpoint_url=world.endpoint_url).session(env)
    return use_existing_resources(session, env, component, world.workspace(component, ENV), run, variables)


def _changes(plan) -> dict[str, set[str]]:
    changes: dict[str, set[str]] = {}
    for change in plan.changes:
        changes.setdefault(change.action, set()).add(change.address)
    return changes


# The tests run in file order: each takes model_001 one step further.
def test_a_resource_named_for_the_environment_but_tagged_for_staging_is_refused(
    taken_over: RehearsalWorld, tmp_path: Path
) -> None:
    world, group = taken_over, taken_over.old["neo4j_security_group"]  # type: ignore[attr-defined]
    ec2 = world.client("ec2", ENV)
    ec2.create_tags(Resources=[group], Tags=[{"Key": "Environment", "Value": "staging"}])
    try:
        with pytest.raises(TagMismatchError) as refused:
            _import(world, "connectors", world.variables("connectors", ENV), tmp_path / "refused")
    finally:
        ec2.create_tags(Resources=[group], Tags=[{"Key": "Environment", "Value": ENV}])
    message = str(refused.value)
    assert f"aws_security_group.neo4j {group} (credex-neo4j-sg-model-001)" in message
    assert "named for model_001 but tagged Environment=staging" in message and "nothing imported" in message
    assert world.workspace("connectors", ENV).state_list() == []
    assert not (tmp_path / "refused").exists()  # refused before Terraform ran


def test_the_old_network_and_load_balancer_are_imported_and_the_plan_only_adds(
    taken_over: RehearsalWorld, tmp_path: Path
) -> None:
    world, old = taken_over, taken_over.old  # type: ignore[attr-defined]
    variables = world.variables("connectors", ENV)
    result = _import(world, "connectors", variables, tmp_path / "connectors")
    imported = {target.address: target.import_id for target in result.imported}
    expected = {address: old[key] for address, key in CONNECTORS_IMPORTED.items()}
    expected["aws_ecr_repository.app"] = "credex-core-model-001"
    for tier, table in (("public", old["public_rt"]), ("private", old["private_rt"])):
        for index in (0, 1):
            expected[f"aws_route_table_association.{tier}[{index}]"] = f"{old[f'{tier}_{index}']}/{table}"
    assert imported == expected
    assert set(result.created) == CREATED_WITH_IMPORT
    # Real differences of the old resources, updated in place by the import: the drifted tags everywhere,
    # and what the old Terraform set otherwise (deregistration delay, mutable tags, TLS policy, protection).
    assert {
        "aws_lb_target_group.app",
        "aws_ecr_repository.app",
        "aws_lb_listener.https",
        "aws_lb.main",
    } <= set(result.updated)
    listener = world.client("elbv2", ENV).describe_listeners(ListenerArns=[old["https_listener"]])[
        "Listeners"
    ][0]
    assert listener["SslPolicy"] == variables.get("tls_policy", "ELBSecurityPolicy-TLS13-1-2-2021-06")
    assert listener["Certificates"][0]["CertificateArn"] != old["certificate"]
    vpc = world.client("ec2", ENV).describe_vpcs(VpcIds=[old["vpc"]])["Vpcs"][0]
    assert {t["Key"]: t["Value"] for t in vpc["Tags"]}["Project"] == naming.PROJECT_TAG

    plan = world.plan("connectors", ENV, variables)
    assert _changes(plan) == {"create": CREATED_AFTER_IMPORT}, _changes(plan)
    # The one extra component this file deploys: the app's variables read the connectors' outputs.
    world.workspace("connectors", ENV).apply(plan)
    assert not world.plan("connectors", ENV, variables).has_changes
    assert world.outputs("connectors", ENV)["vpc_id"] == old["vpc"]


def test_the_old_cluster_and_log_group_are_imported_into_the_app_root(
    taken_over: RehearsalWorld, tmp_path: Path
) -> None:
    """The app's Neo4j inputs are the old system's secret (what the databases root takes over as
    aws_secretsmanager_secret.neo4j); model_001's databases are not deployed here."""
    world, old, env = taken_over, taken_over.old, taken_over.environment(ENV)  # type: ignore[attr-defined]
    neo4j = {"neo4j_secret_arn": old["neo4j_secret"], "neo4j_secret_version_id": old["neo4j_secret_version"]}
    variables = app.variables(env, world.outputs("connectors", ENV), neo4j, FIRST_IMAGE_TAG)
    result = _import(world, "app", variables, tmp_path / "app")
    assert {target.address: target.import_id for target in result.imported} == {
        "aws_ecs_cluster.main": naming.ecs_cluster(env),
        "aws_cloudwatch_log_group.app": naming.log_group(env),
    }
    assert result.created == [] and set(result.updated) == set(
        {target.address for target in result.imported}
    )  # tags, and Container Insights on the cluster
    (cluster,) = world.client("ecs", ENV).describe_clusters(
        clusters=[naming.ecs_cluster(env)], include=["SETTINGS"]
    )["clusters"]
    assert {s["name"]: s["value"] for s in cluster["settings"]}["containerInsights"] == "enabled"
    changes = _changes(world.plan("app", ENV, variables))
    assert set(changes) == {"create"}, changes  # nothing imported is created, replaced or changed again
    assert not changes["create"] & {"aws_ecs_cluster.main", "aws_cloudwatch_log_group.app"}
    assert {"aws_ecs_service.app", "aws_ecs_task_definition.app", "aws_secretsmanager_secret.app"} <= changes[
        "create"
    ]
