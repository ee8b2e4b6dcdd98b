"""Scheduled Neo4j backups: snapshot the data volumes, keep daily and weekly ones, check freshness.

Retention only considers snapshots tagged `BuiltBy=credex-orchestration`, `Purpose=backup` and this
environment: snapshots taken before a replacement, other environments' and anyone else's are never deleted.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..components.volumes import BUILT_BY, ROLES
from ..environments import Environment

BACKUP_PURPOSE = "backup"
LogFn = Callable[[str], None]


@dataclass(frozen=True)
class Freshness:
    passed: bool
    newest: dict[str, str | None]  # role -> ISO time of its newest completed snapshot
    detail: str


def our_snapshots(
    ec2: Any, environment: Environment, purpose: str | None = BACKUP_PURPOSE
) -> list[dict[str, Any]]:
    filters = [
        {"Name": "tag:BuiltBy", "Values": [BUILT_BY]},
        {"Name": "tag:Environment", "Values": [environment.name]},
    ]
    if purpose:
        filters.append({"Name": "tag:Purpose", "Values": [purpose]})
    pages = ec2.get_paginator("describe_snapshots").paginate(OwnerIds=["self"], Filters=filters)
    return [snapshot for page in pages for snapshot in page["Snapshots"]]


def _tag(snapshot: dict[str, Any], key: str) -> str | None:
    return next((t["Value"] for t in snapshot.get("Tags", []) if t["Key"] == key), None)


def _role(snapshot: dict[str, Any]) -> str | None:
    return _tag(snapshot, "Role")


def _age_order(snapshot: dict[str, Any]) -> tuple[datetime, str]:
    """StartTime, then our CreatedAt tag (microseconds) for snapshots started within the same second."""
    return snapshot["StartTime"], _tag(snapshot, "CreatedAt") or ""


def expired(snapshots: list[dict[str, Any]], keep_daily: int, keep_weekly: int) -> list[str]:
    """Ids to delete: per role, keep the newest of each of the newest `keep_daily` days and of each of the
    newest `keep_weekly` ISO weeks; everything else goes."""
    doomed = []
    for role in {_role(snapshot) for snapshot in snapshots}:
        own = sorted((s for s in snapshots if _role(s) == role), key=_age_order, reverse=True)
        days: list[object] = []
        weeks: list[object] = []
        for snapshot in own:
            started: datetime = snapshot["StartTime"]
            day, week = started.date(), started.isocalendar()[:2]
            keep = False
            if day not in days and len(days) < keep_daily:
                days.append(day)
                keep = True
            if week not in weeks and len(weeks) < keep_weekly:
                weeks.append(week)
                keep = True
            if not keep:
                doomed.append(snapshot["SnapshotId"])
    return sorted(doomed)


def apply_backup_retention(ec2: Any, environment: Environment, log: LogFn = print) -> list[str]:
    completed = [s for s in our_snapshots(ec2, environment) if s["State"] == "completed"]
    doomed = expired(completed, environment.backups.keep_daily, environment.backups.keep_weekly)
    for snapshot_id in doomed:
        ec2.delete_snapshot(SnapshotId=snapshot_id)
    if doomed:
        log(f"{environment.name}: deleted expired backup snapshot(s) {', '.join(doomed)}")
    return doomed


def freshness(ec2: Any, environment: Environment, now: datetime | None = None) -> Freshness:
    """Passes when every role's newest completed snapshot (backup or pre-replacement) is recent enough."""
    now = now or datetime.now(UTC)
    limit = timedelta(hours=environment.backups.max_age_hours)
    snapshots = [s for s in our_snapshots(ec2, environment, purpose=None) if s["State"] == "completed"]
    newest: dict[str, str | None] = {}
    stale = []
    for role in ROLES:
        times = [s["StartTime"] for s in snapshots if _role(s) == role]
        latest = max(times) if times else None
        newest[role] = latest.isoformat() if latest else None
        if latest is None or now - latest > limit:
            age = f"{(now - latest).total_seconds() / 3600:.1f} h old" if latest else "none"
            stale.append(f"{role} ({age})")
    if stale:
        detail = (
            f"{environment.name}: newest Neo4j backup older than {environment.backups.max_age_hours:g} h: "
            f"{', '.join(stale)}"
        )
        return Freshness(False, newest, detail)
    return Freshness(True, newest, f"{environment.name}: every data volume backed up within the limit")
