"""The first deploy of development with the real roots on the real AWS provider against moto.

Every test reads the one session deploy (`rehearsal_development`, tests/support/rehearsal.py) and changes
nothing Terraform manages. moto is patched where it departs from AWS (credex_orchestration/rehearsal/moto_server.py, one
documented behaviour each): without those patches the no-op plans below would show changes AWS never shows.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from credex_orchestration import naming
from credex_orchestration.lib.ecr import mark_verified
from credex_orchestration.lib.terraform_providers import CLI_CONFIG_NAME

from .support.ecr_lifecycle import expired
from .support.rehearsal import OLD_SYSTEM_ADDRESS, Deployed

COMPONENTS = ("connectors", "databases", "app")


def test_first_deploy_applies_the_three_roots(rehearsal_development: Deployed) -> None:
    world, outputs = rehearsal_development.world, rehearsal_development.outputs
    env = world.environment("development")
    assert outputs["connectors"]["vpc_id"].startswith("vpc-")
    ec2 = world.client("ec2")
    for space in ("LedgerSpace", "SearchSpace"):
        instance_id = outputs["databases"][f"{space.lower()}_instance_id"]
        (reservation,) = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
        instance = reservation["Instances"][0]
        assert instance["State"]["Name"] == "running"
        assert instance["ImageId"] == world.neo4j_ami("development")
        protection = ec2.describe_instance_attribute(
            InstanceId=instance_id, Attribute="disableApiTermination"
        )
        assert protection["DisableApiTermination"]["Value"] is True
    (service,) = world.client("ecs").describe_services(
        cluster=outputs["app"]["cluster_name"], services=[outputs["app"]["service_name"]]
    )["services"]
    assert service["taskDefinition"] == outputs["app"]["task_definition_arn"]
    assert service["runningCount"] == env.app.desired_count
    # The provider mirror came from the engine's own CLI configuration, written next to its work dir.
    assert (world.terraform.work_path / CLI_CONFIG_NAME).read_text().count("filesystem_mirror") == 1


@pytest.mark.parametrize("component", COMPONENTS)
def test_a_plan_after_the_deploy_has_no_changes(rehearsal_development: Deployed, component: str) -> None:
    plan = rehearsal_development.world.plan(component, "development")
    changed = [f"{c.action}: {c.address}" for c in plan.changes if c.action != "noop"]
    assert not plan.has_changes and changed == [], changed


def test_the_alias_took_over_the_record_the_old_system_left(rehearsal_development: Deployed) -> None:
    """The old A record existed before the first apply; CREATE fails on it in AWS (and in the rehearsal's
    moto, shown here), so only an UPSERT (`allow_overwrite`) lets the connectors root own the name."""
    world = rehearsal_development.world
    route53 = world.client("route53")
    zone = world.hosted_zone("development")
    domain = world.environment("development").domain + "."
    records = route53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    (record,) = [r for r in records if r["Name"] == domain and r["Type"] == "A"]
    assert "ResourceRecords" not in record  # the old address is gone
    assert (
        record["AliasTarget"]["DNSName"].rstrip(".")
        == rehearsal_development.outputs["connectors"]["alb_dns_name"]
    )
    with pytest.raises(route53.exceptions.InvalidChangeBatch, match="already exists"):
        route53.change_resource_record_sets(
            HostedZoneId=zone,
            ChangeBatch={
                "Changes": [
                    {
                        "Action": "CREATE",
                        "ResourceRecordSet": {
                            "Name": domain,
                            "Type": "A",
                            "TTL": 60,
                            "ResourceRecords": [{"Value": OLD_SYSTEM_ADDRESS}],
                        },
                    }
                ]
            },
        )


def _values(world, secret: str) -> dict:
    return json.loads(world.client("secretsmanager").get_secret_value(SecretId=secret)["SecretString"])


def test_secrets_have_values_that_are_nowhere_in_state_or_plans(rehearsal_development: Deployed) -> None:
    """The Neo4j passwords and the first JWT_SECRET exist only in Secrets Manager: not in any state object
    (every version of the bucket), any saved plan (zip members) or any other file the engine left."""
    world = rehearsal_development.world
    env = world.environment("development")
    neo4j = _values(world, naming.neo4j_secret(env))
    assert sorted(neo4j) == sorted(naming.NEO4J_SECRET_KEYS)  # exactly the six keys (JSON sorts them)
    outputs = rehearsal_development.outputs["databases"]
    assert neo4j["ledgerspacebolturl"] == f"bolt://{outputs['ledgerspace_private_ip']}:7687"
    assert neo4j["searchspacebolturl"] == f"bolt://{outputs['searchspace_private_ip']}:7687"
    assert neo4j["ledgerspaceuser"] == neo4j["searchspaceuser"] == "neo4j"
    assert len(neo4j["ledgerspacepass"]) == 32 and neo4j["ledgerspacepass"] != neo4j["searchspacepass"]
    app_secret = _values(world, naming.app_secret(env))
    assert set(app_secret) == {
        "JWT_SECRET",
        "OPEN_EXCHANGE_RATES_API",
        "CLIENT_API_KEY",
        "WHATSAPP_BOT_API_KEY",
    }
    assert len(app_secret["JWT_SECRET"]) == 64 and app_secret["CLIENT_API_KEY"] == ""
    secrets = [neo4j["ledgerspacepass"], neo4j["searchspacepass"], app_secret["JWT_SECRET"]]

    state = world.state_objects("development")
    assert len(state) >= 3
    for key, body in state.items():
        for secret in secrets:
            assert secret.encode() not in body, f"a secret value is in state object {key}"
        if key.split("@")[0].endswith(".tfstate"):
            types = {resource["type"] for resource in json.loads(body).get("resources", [])}
            assert "random_password" not in types, key
    files = [path for path in Path(world.work_dir).rglob("*") if path.is_file() and not path.is_symlink()]
    assert any(path.suffix == ".tfplan" for path in files)
    for path in files:
        blobs = [path.read_bytes()]
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                blobs += [archive.read(member) for member in archive.namelist()]
        for blob in blobs:
            for secret in secrets:
                assert secret.encode() not in blob, f"a secret value is in {path}"


def test_the_secret_versions_reach_the_service_triggers(rehearsal_development: Deployed) -> None:
    world, outputs = rehearsal_development.world, rehearsal_development.outputs
    env = world.environment("development")
    listed = world.client("secretsmanager").list_secret_version_ids(SecretId=naming.neo4j_secret(env))
    current = [v["VersionId"] for v in listed["Versions"] if "AWSCURRENT" in v.get("VersionStages", [])]
    assert outputs["databases"]["neo4j_secret_version_id"] == current[0]
    assert world.variables("app", "development")["neo4j_secret_version_id"] == current[0]


def test_alarms_notify_the_environments_topic(rehearsal_development: Deployed) -> None:
    world = rehearsal_development.world
    topic = rehearsal_development.outputs["app"]["alarm_topic_arn"]
    env = world.environment("development")
    assert topic.endswith(f":{naming.alarm_topic(env)}")
    alarms = world.client("cloudwatch").describe_alarms(AlarmNamePrefix="credex-core-")["MetricAlarms"]
    ours = [a for a in alarms if a["AlarmName"].endswith("-development")]
    assert len(ours) == 3
    for alarm in ours:
        assert alarm["AlarmActions"] == [topic] and alarm["OKActions"] == [topic], alarm["AlarmName"]


def _push(ecr, repository: str, tag: str) -> None:
    """An image of one layer of its own (moto's digest is the hash of the layer digests)."""
    layer = {
        "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
        "digest": f"sha256:{tag:0>64}",
        "size": 1,
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "digest": layer["digest"],
            "size": 1,
        },
        "layers": [layer],
    }
    ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=tag)


def test_lifecycle_never_expires_the_verified_image_a_rollback_needs(rehearsal_development: Deployed) -> None:
    """35 images pushed, the oldest one verified: the checked-in policy (read back from moto) keeps it while
    "keep the last 30" expires the other old ones. moto never evaluates lifecycle policies, so
    tests/support/ecr_lifecycle.py evaluates them as ECR documents it; the same evaluation of the policy
    without the verified rule expires the verified image too."""
    world = rehearsal_development.world
    ecr = world.client("ecr")
    repository = naming.ecr_repository(world.environment("development"))
    tags = [f"{index:040x}" for index in range(1, 36)]
    for tag in tags:
        _push(ecr, repository, tag)
    assert mark_verified(ecr, repository, tags[0]) == f"verified-{tags[0]}"
    assert mark_verified(ecr, repository, tags[0]) == f"verified-{tags[0]}"  # idempotent
    images = ecr.describe_images(repositoryName=repository)["imageDetails"]
    assert len(images) == len(tags)
    by_tag = {tag: image["imageDigest"] for image in images for tag in image.get("imageTags", [])}
    assert by_tag[f"verified-{tags[0]}"] == by_tag[tags[0]]  # one image, two tags
    policy = json.loads(ecr.get_lifecycle_policy(repositoryName=repository)["lifecyclePolicyText"])

    gone = expired(policy, images)
    assert by_tag[tags[0]] not in gone
    assert {by_tag[tag] for tag in tags[1:5]} == gone  # 34 unverified, the 30 newest kept
    without_verified_rule = {"rules": [r for r in policy["rules"] if "tagPrefixList" not in r["selection"]]}
    assert by_tag[tags[0]] in expired(without_verified_rule, images)
