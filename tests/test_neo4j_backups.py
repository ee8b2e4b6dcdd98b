"""Scheduled Neo4j backups against moto: snapshots tagged per environment and role, retention that only
deletes our own backups, and the freshness check (moto's snapshots are created now: age is tested by moving
`now`, never by faking snapshots)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from dagster import AssetKey, DagsterInstance, Definitions

from credex_orchestration.operations import backup_definitions as databases
from credex_orchestration.operations.backups import expired, freshness
from credex_orchestration.resources import AwsResource

from .support.environments import local_environments

REGION = "af-south-1"


@pytest.fixture
def envs(tmp_path):
    fast = {"backups.poll_interval_seconds": 0.1, "backups.keep_daily": 2}
    return local_environments(tmp_path, {"development": fast, "staging": fast})


def volume(ec2, env: str, role: str) -> str:
    tags = [{"Key": "Environment", "Value": env}, {"Key": "Role", "Value": role}]
    return ec2.create_volume(
        AvailabilityZone=f"{REGION}a", Size=50, TagSpecifications=[{"ResourceType": "volume", "Tags": tags}]
    )["VolumeId"]


def snapshots(ec2, **tags: str) -> list[dict]:
    filters = [{"Name": f"tag:{k}", "Values": [v]} for k, v in tags.items()]
    return ec2.describe_snapshots(OwnerIds=["self"], Filters=filters)["Snapshots"]


def test_backup_snapshots_every_data_volume_and_keeps_only_its_own_retention(aws_endpoint, envs) -> None:
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=aws_endpoint)
    ledger, search = volume(ec2, "development", "LedgerSpace"), volume(ec2, "development", "SearchSpace")
    staging = volume(ec2, "staging", "LedgerSpace")
    foreign = ec2.create_snapshot(VolumeId=ledger)["SnapshotId"]  # someone else's, untagged
    other_env = ec2.create_snapshot(
        VolumeId=staging,
        TagSpecifications=[
            {
                "ResourceType": "snapshot",
                "Tags": [
                    {"Key": "BuiltBy", "Value": "credex-orchestration"},
                    {"Key": "Environment", "Value": "staging"},
                    {"Key": "Role", "Value": "LedgerSpace"},
                    {"Key": "Purpose", "Value": "backup"},
                ],
            }
        ],
    )["SnapshotId"]
    defs = Definitions.merge(
        databases.build(envs), Definitions(resources={"aws": AwsResource(endpoint_url=aws_endpoint)})
    )
    instance = DagsterInstance.ephemeral()
    job = defs.resolve_job_def("backup_development")
    runs = [job.execute_in_process(instance=instance) for _ in range(3)]
    assert all(run.success for run in runs)

    ours = snapshots(ec2, Environment="development", Purpose="backup")
    # Same UTC day: one per role survives (the newest), from the last run.
    assert sorted(s["VolumeId"] for s in ours) == sorted([ledger, search])
    for snapshot in ours:
        tags = {t["Key"]: t["Value"] for t in snapshot["Tags"]}
        assert tags["DagsterRunId"] == runs[-1].run_id and tags["BuiltBy"] == "credex-orchestration"
        assert {"LedgerSpace": ledger, "SearchSpace": search}[tags["Role"]] == snapshot["VolumeId"]
    remaining = {s["SnapshotId"] for s in ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]}
    assert {foreign, other_env} <= remaining

    evaluations = [e for e in runs[-1].all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    assert [e.event_specific_data.passed for e in evaluations] == [True]
    env = envs["development"]
    assert freshness(ec2, env).passed
    stale = freshness(ec2, env, now=datetime.now(UTC) + timedelta(hours=29))
    assert not stale.passed and "older than 28 h" in stale.detail and "LedgerSpace" in stale.detail
    assert not freshness(ec2, envs["staging"]).passed  # staging has no SearchSpace backup at all


def test_freshness_check_fails_without_backups(aws_endpoint, envs) -> None:
    defs = Definitions.merge(
        databases.build(envs), Definitions(resources={"aws": AwsResource(endpoint_url=aws_endpoint)})
    )
    result = defs.resolve_job_def("backup_freshness_development").execute_in_process(
        instance=DagsterInstance.ephemeral(), raise_on_error=False
    )
    evaluation = next(e for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION")
    assert not evaluation.event_specific_data.passed
    assert "LedgerSpace (none)" in evaluation.event_specific_data.description
    assert evaluation.event_specific_data.asset_key == AssetKey(["development", "database_backups"])


def test_retention_keeps_newest_per_day_and_per_week() -> None:
    start = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)  # a Saturday
    series = [
        {
            "SnapshotId": f"snap-{n:02d}",
            "StartTime": start - timedelta(days=n),
            "Tags": [{"Key": "Role", "Value": "LedgerSpace"}],
        }
        for n in range(30)
    ]
    series.append(
        {"SnapshotId": "snap-extra", "StartTime": start - timedelta(hours=1), "Tags": series[0]["Tags"]}
    )
    doomed = set(expired(series, keep_daily=7, keep_weekly=4))
    kept = {s["SnapshotId"] for s in series} - doomed
    # Days 0-6 (newest of day 0 is snap-00, not the older snap-extra), plus the newest of the 4 newest
    # ISO weeks: days 0-5 are week 47 (Mon 16 - Sat 21), day 6 starts week 46, 13 week 45, 20 week 44.
    assert kept == {f"snap-{n:02d}" for n in (0, 1, 2, 3, 4, 5, 6, 13, 20)}
