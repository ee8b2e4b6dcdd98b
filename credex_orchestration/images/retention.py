"""Retention of Neo4j AMIs: keep the newest passing ones per edition, retire the rest safely.

Only images tagged `BuiltBy=credex-orchestration` are considered; an image any instance still uses is
never deregistered. Superseded images kept for rollback get a deprecation time, so new launches stop
picking them while running instances are unaffected.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .build import BUILDER_PURPOSE, BUILT_BY, LIVE_STATES, SMOKE_PURPOSE

LogFn = Callable[[str], None]


@dataclass
class RetentionResult:
    kept: list[str] = field(default_factory=list)
    deprecated: list[str] = field(default_factory=list)
    deregistered: list[str] = field(default_factory=list)
    deleted_snapshots: list[str] = field(default_factory=list)
    in_use: list[str] = field(default_factory=list)


def _tags(image: dict[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in image.get("Tags", [])}


def images_in_use(ec2: Any, image_ids: list[str]) -> set[str]:
    """Images some not-terminated instance runs."""
    if not image_ids:
        return set()
    pages = ec2.get_paginator("describe_instances").paginate(
        Filters=[
            {"Name": "image-id", "Values": image_ids},
            {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]},
        ]
    )
    return {i["ImageId"] for page in pages for r in page["Reservations"] for i in r["Instances"]}


def apply_retention(
    ec2: Any,
    edition: str,
    keep: int,
    deprecate_after_days: int,
    *,
    now: datetime | None = None,
    log: LogFn = print,
) -> RetentionResult:
    """Keep the newest `keep` passing images of `edition`; deregister older and failed ones not in use."""
    now = now or datetime.now(UTC)
    images = ec2.describe_images(
        Owners=["self"],
        Filters=[
            {"Name": "tag:BuiltBy", "Values": [BUILT_BY]},
            {"Name": "tag:Neo4jEdition", "Values": [edition]},
        ],
    )["Images"]
    images.sort(key=lambda image: (image.get("CreationDate", ""), image.get("Name", "")), reverse=True)
    passing = [image for image in images if _tags(image).get("Status") == "passed"]
    keep_ids = {image["ImageId"] for image in passing[:keep]}
    newest = passing[0]["ImageId"] if passing else None
    used = images_in_use(ec2, [image["ImageId"] for image in images])
    result = RetentionResult(kept=[image["ImageId"] for image in passing[:keep]])
    deprecate_at = (now + timedelta(days=deprecate_after_days)).replace(microsecond=0)
    for image in images:
        ami = image["ImageId"]
        status = _tags(image).get("Status")
        if status not in ("passed", "failed"):
            continue  # not smoke-tested yet (a build in progress): leave it alone
        if ami in keep_ids or ami in used:
            if ami not in keep_ids:
                result.in_use.append(ami)
                log(f"keeping {ami}: an instance still runs it")
            if ami != newest and not image.get("DeprecationTime"):
                ec2.enable_image_deprecation(ImageId=ami, DeprecateAt=deprecate_at)
                result.deprecated.append(ami)
            continue
        snapshots = [
            m["Ebs"]["SnapshotId"]
            for m in image.get("BlockDeviceMappings", [])
            if m.get("Ebs", {}).get("SnapshotId")
        ]
        ec2.deregister_image(ImageId=ami)
        result.deregistered.append(ami)
        for snapshot in snapshots:
            ec2.delete_snapshot(SnapshotId=snapshot)
            result.deleted_snapshots.append(snapshot)
        log(f"deregistered {ami} ({status}) and deleted snapshot(s) {', '.join(snapshots) or 'none'}")
    return result


def sweep_leftover_instances(
    ec2: Any, max_age: timedelta, *, now: datetime | None = None, log: LogFn = print
) -> list[str]:
    """Terminate builder / smoke-test instances older than `max_age`: leftovers of runs killed outright
    (SIGKILL skips the builder's own cleanup). Younger ones may belong to a build in progress."""
    now = now or datetime.now(UTC)
    pages = ec2.get_paginator("describe_instances").paginate(
        Filters=[
            {"Name": "tag:Purpose", "Values": [BUILDER_PURPOSE, SMOKE_PURPOSE]},
            {"Name": "tag:BuiltBy", "Values": [BUILT_BY]},
            {"Name": "instance-state-name", "Values": list(LIVE_STATES)},
        ]
    )
    stale = [
        i["InstanceId"]
        for page in pages
        for r in page["Reservations"]
        for i in r["Instances"]
        if now - i["LaunchTime"] > max_age
    ]
    if stale:
        ec2.terminate_instances(InstanceIds=stale)
        log(f"terminated leftover AMI builder / smoke-test instance(s) {', '.join(stale)}")
    return stale
