"""Orphan cleanup against moto in server mode, with the environment's states read by real Terraform."""

from __future__ import annotations

from datetime import timedelta

import pytest

from credex_orchestration import naming
from credex_orchestration.components import connectors
from credex_orchestration.deploy.state_import import ImportTarget, import_into_state
from credex_orchestration.operations.cleanup import CleanupRefused, run_cleanup
from credex_orchestration.resources import AwsResource

from .support.orphans import build_world, tag_spec


@pytest.fixture
def world(aws_endpoint, environments, terraform, tmp_path):
    """Two environments in moto; development's state manages its VPC (imported into terraform_data)."""
    dev, staging = environments["development"], environments["staging"]
    session = AwsResource(endpoint_url=aws_endpoint).session(dev)
    world = build_world(session, dev, staging)
    workspace = terraform.workspace(dev, "connectors")
    import_into_state(
        workspace,
        [ImportTarget("terraform_data.vpc", world.ids["dev_vpc"])],
        tmp_path / "import",
        connectors.variables(dev),
    )
    world.session = session
    return world


def _vpcs(session) -> set[str]:
    return {vpc["VpcId"] for vpc in session.client("ec2").describe_vpcs()["Vpcs"]}


def _repositories(session) -> set[str]:
    return {r["repositoryName"] for r in session.client("ecr").describe_repositories()["repositories"]}


def test_dry_run_reports_development_orphans_and_deletes_nothing(world, environments, terraform) -> None:
    dev = environments["development"]
    vpcs, repositories = _vpcs(world.session), _repositories(world.session)
    report = run_cleanup(world.session, terraform, dev, environments, delete=False, min_age=timedelta(0))
    assert report.dry_run and not report.deleted
    ids = {c.resource_id for c in report.orphans}
    assert {world.ids["dev_old_vpc"], world.ids["dev_old_subnet"], world.ids["dev_old_sg"]} <= ids
    assert {world.ids["dev_snapshot"], world.ids["dev_image"], naming.ecr_repository(dev)} <= ids
    assert world.ids["dev_vpc"] not in ids  # referenced by the connectors state
    assert not ids & {world.ids["staging_vpc"], world.ids["untagged_vpc"], "credex-core-staging"}
    kept = {c.resource_id: reason for c, reason in report.protected}
    assert kept[naming.state_bucket(dev)] == "Terraform state bucket"
    assert "database" in kept[world.ids["dev_db"]]
    rows = report.rows()
    assert {"type", "id", "name", "tags", "age_days", "status"} <= set(rows[0])
    assert all(row["status"].startswith(("would delete", "kept")) for row in rows)
    assert _vpcs(world.session) == vpcs and _repositories(world.session) == repositories


def test_development_cleanup_deletes_its_orphans_in_order_and_nothing_else(
    world, environments, terraform
) -> None:
    dev = environments["development"]
    lines: list[str] = []
    report = run_cleanup(
        world.session,
        terraform,
        dev,
        environments,
        delete=True,
        min_age=timedelta(0),
        retry_delay_seconds=0.01,
        log=lines.append,
    )
    assert not report.failed, report.failed
    order = [c.kind for c in report.deleted]
    assert order.index("ec2:security-group") < order.index("ec2:subnet") < order.index("ec2:vpc")
    assert order.index("ec2:image") < order.index("ec2:snapshot")
    vpcs = _vpcs(world.session)
    assert world.ids["dev_old_vpc"] not in vpcs
    assert {world.ids["dev_vpc"], world.ids["staging_vpc"], world.ids["untagged_vpc"]} <= vpcs
    assert _repositories(world.session) == {"credex-core-staging", "credex-core-untagged"}
    groups = {g["logGroupName"] for g in world.session.client("logs").describe_log_groups()["logGroups"]}
    assert groups == {naming.log_group(environments["staging"])}
    buckets = {b["Name"] for b in world.session.client("s3").list_buckets()["Buckets"]}
    assert naming.state_bucket(dev) in buckets
    reservations = world.session.client("ec2").describe_instances(InstanceIds=[world.ids["dev_db"]])
    assert reservations["Reservations"][0]["Instances"][0]["State"]["Name"] == "running"
    assert any(world.ids["dev_old_vpc"] in line for line in lines)
    # Recorded per resource; a second run finds nothing left to delete.
    statuses = {row["id"]: row["status"] for row in report.rows()}
    assert statuses[world.ids["dev_old_vpc"]] == "deleted"
    assert not run_cleanup(
        world.session, terraform, dev, environments, delete=False, min_age=timedelta(0)
    ).orphans


def test_refusals_delete_nothing(world, environments, terraform) -> None:
    dev, production = environments["development"], environments["production"]
    before = _vpcs(world.session)
    with pytest.raises(CleanupRefused, match="confirm_environment set to 'production'"):
        run_cleanup(world.session, terraform, production, environments, delete=True, confirmation="prod")
    with pytest.raises(CleanupRefused, match="branch push"):
        run_cleanup(
            world.session,
            terraform,
            dev,
            environments,
            delete=True,
            run_tags={"credex/trigger": "branch-push"},
        )
    # A resource named for staging but tagged development: the whole cleanup is refused.
    world.session.client("ec2").create_vpc(
        CidrBlock="10.4.0.0/16",
        TagSpecifications=tag_spec("vpc", dev, Name=naming.vpc(environments["staging"])),
    )
    with pytest.raises(CleanupRefused, match="named 'credex-vpc-staging' .*tagged Environment=development"):
        run_cleanup(world.session, terraform, dev, environments, delete=True)
    assert before <= _vpcs(world.session)
    assert naming.ecr_repository(dev) in _repositories(world.session)


def test_names_are_matched_to_environments_as_whole_words(tmp_path) -> None:
    import yaml

    from credex_orchestration.environments import DEFAULT_ENVIRONMENTS_FILE, parse_environments
    from credex_orchestration.operations.orphans import Candidate, name_mismatch, parse_arn

    raw = yaml.safe_load(DEFAULT_ENVIRONMENTS_FILE.read_text())
    model = dict(raw["environments"]["development"], branch="model", domain="model.mycredex.dev")
    model["network"] = {"vpc_cidr": "10.7.0.0/16"}
    model["state"] = {"backend": "local"}
    raw["environments"]["model_001"] = model
    environments = parse_environments(raw, tmp_path / "environments.yaml")
    dev, model_env = environments["development"], environments["model_001"]

    def named(name: str, env) -> str | None:
        return name_mismatch(
            Candidate("ec2:vpc", "vpc-1", "arn", name, {"Environment": env.name}), env, environments
        )

    assert named("credex-vpc-model-001", model_env) is None
    assert "environment model_001" in named("credex-vpc-model-001", dev)
    assert "environment development" in named("neo4j_dev_secrets", model_env)
    assert named("credex-core-developments-archive", model_env) is None  # not a whole word
    assert parse_arn("arn:aws:ec2:af-south-1:1:security-group/sg-1") == ("ec2:security-group", "sg-1")
    assert parse_arn("arn:aws:logs:af-south-1:1:log-group:/ecs/credex-core-dev:*") == (
        "logs:log-group",
        "/ecs/credex-core-dev",
    )
    assert parse_arn("arn:aws:s3:::credex-terraform-state-development") == (
        "s3:bucket",
        "credex-terraform-state-development",
    )


def test_a_deleting_cleanup_keeps_what_an_apply_may_have_just_created(world, environments, terraform) -> None:
    """Nothing younger than the minimum age goes; a resource of unknown age (a security group: AWS gives no
    creation time) waits until it has been seen orphaned for that long."""
    from credex_orchestration.operations.orphans import now_utc

    dev = environments["development"]
    vpcs = _vpcs(world.session)
    report = run_cleanup(world.session, terraform, dev, environments, delete=True, retry_delay_seconds=0.01)
    assert not report.deleted and not report.orphans, [c.resource_id for c in report.deleted]
    kept = {c.resource_id: reason for c, reason in report.protected}
    assert "first seen orphaned now" in kept[world.ids["dev_old_sg"]]
    assert "younger than 60 min" in kept[naming.ecr_repository(dev)]
    assert _vpcs(world.session) == vpcs

    # Seen orphaned two hours ago, but the repository was created minutes ago: only the unknown-age ones go.
    seen = {c.arn: now_utc() - timedelta(hours=2) for c, _ in report.protected}
    later = run_cleanup(
        world.session, terraform, dev, environments, delete=True, first_seen=seen, retry_delay_seconds=0.01
    )
    gone = {c.resource_id for c in later.deleted}
    assert world.ids["dev_old_sg"] in gone and world.ids["dev_old_vpc"] in gone
    assert naming.ecr_repository(dev) in _repositories(world.session)
    # Two hours on, the repository is old enough too.
    final = run_cleanup(
        world.session,
        terraform,
        dev,
        environments,
        delete=True,
        first_seen=seen,
        now=now_utc() + timedelta(hours=2),
        retry_delay_seconds=0.01,
    )
    assert naming.ecr_repository(dev) in {c.resource_id for c in final.deleted}
