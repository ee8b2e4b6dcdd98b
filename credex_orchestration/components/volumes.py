"""The Neo4j data volumes of an environment, and snapshots of them.

Volumes are found by their tags (`Environment`, `Role` = LedgerSpace or SearchSpace), as the databases
root tags them; snapshots carry the same tags plus the Dagster run id and why they were taken, so backup
retention only ever deletes its own snapshots of its own environment.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..environments import Environment

ROLES = ("LedgerSpace", "SearchSpace")
BUILT_BY = "credex-orchestration"
LogFn = Callable[[str], None]


class SnapshotError(RuntimeError):
    """A snapshot could not be taken or did not complete."""


@dataclass(frozen=True)
class DataVolume:
    volume_id: str
    role: str


@dataclass(frozen=True)
class Snapshot:
    snapshot_id: str
    volume_id: str
    role: str


def data_volumes(ec2: Any, environment: Environment) -> list[DataVolume]:
    """The environment's Neo4j data volumes, LedgerSpace first."""
    pages = ec2.get_paginator("describe_volumes").paginate(
        Filters=[
            {"Name": "tag:Environment", "Values": [environment.name]},
            {"Name": "tag:Role", "Values": list(ROLES)},
        ]
    )
    volumes = []
    for page in pages:
        for volume in page["Volumes"]:
            tags = {tag["Key"]: tag["Value"] for tag in volume.get("Tags", [])}
            volumes.append(DataVolume(volume["VolumeId"], tags["Role"]))
    return sorted(volumes, key=lambda volume: (ROLES.index(volume.role), volume.volume_id))


def snapshot_volumes(
    ec2: Any,
    environment: Environment,
    volumes: list[DataVolume],
    *,
    run_id: str,
    purpose: str,
    timeout_seconds: float,
    poll_seconds: float,
    log: LogFn = print,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Snapshot]:
    """Snapshot every volume and wait until all are completed (a pending snapshot is no backup yet)."""
    snapshots = []
    for volume in volumes:
        tags = {
            "Name": f"neo4j-{volume.role.lower()}-{environment.slug}-{purpose}",
            "Environment": environment.name,
            "Role": volume.role,
            "DagsterRunId": run_id,
            "Purpose": purpose,
            "BuiltBy": BUILT_BY,
            "SourceVolume": volume.volume_id,
            # EC2's StartTime has whole seconds: this orders snapshots taken within one second.
            "CreatedAt": datetime.now(UTC).isoformat(timespec="microseconds"),
        }
        response = ec2.create_snapshot(
            VolumeId=volume.volume_id,
            Description=f"Neo4j {volume.role} data of {environment.name} ({purpose}, run {run_id})",
            TagSpecifications=[
                {"ResourceType": "snapshot", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
            ],
        )
        snapshots.append(Snapshot(response["SnapshotId"], volume.volume_id, volume.role))
        log(f"snapshot {response['SnapshotId']} of {volume.role} volume {volume.volume_id} started")
    started = time.monotonic()
    pending = {snapshot.snapshot_id for snapshot in snapshots}
    while pending:
        for item in ec2.describe_snapshots(SnapshotIds=sorted(pending))["Snapshots"]:
            if item["State"] == "completed":
                pending.discard(item["SnapshotId"])
            elif item["State"] == "error":
                raise SnapshotError(f"snapshot {item['SnapshotId']} of {item['VolumeId']} failed")
        if not pending:
            break
        if time.monotonic() - started >= timeout_seconds:
            raise SnapshotError(
                f"snapshot(s) {', '.join(sorted(pending))} not completed after {timeout_seconds:.0f}s"
            )
        log(f"waiting for snapshot(s) {', '.join(sorted(pending))}")
        sleep(poll_seconds)
    return snapshots
