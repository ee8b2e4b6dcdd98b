"""Orphan cleanup of one environment: dry run by default, deletion in dependency order with retries.

Every guard runs before the first deletion and refuses the whole cleanup: a sensor-triggered run, production
without the typed confirmation, a resource whose name says another environment than its tag. Protected kinds
(state buckets, lock tables, database data) are reported but never deleted.
See docs/decisions/0051-environment-scoped-cleanup.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from .. import naming
from ..environments import Environment, Environments
from ..lib.aws import AwsSession
from ..resources import TerraformResource
from .orphans import Candidate, name_mismatch, now_utc, state_references, tagged_resources, too_young

# What an apply creates is in its state once the apply ends; one writer per environment keeps cleanup out
# while an apply runs, and this age keeps it off what a failed apply created but could not save (its errored
# state is kept next to the state: push it, and the resources are managed again).
DEFAULT_MIN_AGE = timedelta(minutes=60)


class CleanupRefused(RuntimeError):
    """Cleanup was refused before anything was deleted."""


def _ecs_service(session: AwsSession, c: Candidate) -> None:
    ecs = session.client("ecs")
    cluster = c.arn.split(":service/")[-1].split("/")[0] if "/" in c.arn.split(":service/")[-1] else None
    if cluster is None:
        raise CleanupRefused(f"cannot tell the cluster of ECS service {c.arn}")
    ecs.update_service(cluster=cluster, service=c.arn, desiredCount=0)
    ecs.delete_service(cluster=cluster, service=c.arn, force=True)


def _internet_gateway(session: AwsSession, c: Candidate) -> None:
    ec2 = session.client("ec2")
    gateway = ec2.describe_internet_gateways(InternetGatewayIds=[c.resource_id])["InternetGateways"][0]
    for attachment in gateway.get("Attachments", []):
        ec2.detach_internet_gateway(InternetGatewayId=c.resource_id, VpcId=attachment["VpcId"])
    ec2.delete_internet_gateway(InternetGatewayId=c.resource_id)


def _ec2(method: str, key: str) -> Callable[[AwsSession, Candidate], Any]:
    return lambda session, c: getattr(session.client("ec2"), method)(**{key: c.resource_id})


# Deletion order: dependants before what they depend on. Kinds not listed are never deleted.
DELETERS: list[tuple[str, Callable[[AwsSession, Candidate], Any]]] = [
    ("ecs:service", _ecs_service),
    ("ecs:cluster", lambda s, c: s.client("ecs").delete_cluster(cluster=c.arn)),
    ("ec2:instance", lambda s, c: s.client("ec2").terminate_instances(InstanceIds=[c.resource_id])),
    ("ec2:volume", _ec2("delete_volume", "VolumeId")),
    ("elasticloadbalancing:listener", lambda s, c: s.client("elbv2").delete_listener(ListenerArn=c.arn)),
    (
        "elasticloadbalancing:loadbalancer",
        lambda s, c: s.client("elbv2").delete_load_balancer(LoadBalancerArn=c.arn),
    ),
    (
        "elasticloadbalancing:targetgroup",
        lambda s, c: s.client("elbv2").delete_target_group(TargetGroupArn=c.arn),
    ),
    ("ec2:natgateway", _ec2("delete_nat_gateway", "NatGatewayId")),
    ("ec2:elastic-ip", _ec2("release_address", "AllocationId")),
    ("ec2:security-group", _ec2("delete_security_group", "GroupId")),
    ("ec2:subnet", _ec2("delete_subnet", "SubnetId")),
    ("ec2:route-table", _ec2("delete_route_table", "RouteTableId")),
    ("ec2:internet-gateway", _internet_gateway),
    ("ec2:vpc", _ec2("delete_vpc", "VpcId")),
    ("ec2:key-pair", _ec2("delete_key_pair", "KeyPairId")),
    # Recoverable for 7 days: a secret deleted by mistake can be restored.
    (
        "secretsmanager:secret",
        lambda s, c: s.client("secretsmanager").delete_secret(SecretId=c.arn, RecoveryWindowInDays=7),
    ),
    ("logs:log-group", lambda s, c: s.client("logs").delete_log_group(logGroupName=c.resource_id)),
    (
        "ecr:repository",
        lambda s, c: s.client("ecr").delete_repository(repositoryName=c.resource_id, force=True),
    ),
    ("ec2:image", _ec2("deregister_image", "ImageId")),
    ("ec2:snapshot", _ec2("delete_snapshot", "SnapshotId")),
]
_ORDER = {kind: index for index, (kind, _) in enumerate(DELETERS)}
_DELETER = dict(DELETERS)


def protection(candidate: Candidate, environment: Environment) -> str | None:
    """Why a resource is never deleted by cleanup, else None."""
    if candidate.kind == "s3:bucket" and (
        candidate.resource_id.startswith("credex-terraform-state-")
        or candidate.resource_id in (naming.state_bucket(environment), environment.state.bucket)
    ):
        return "Terraform state bucket"
    if candidate.kind.startswith("dynamodb:"):
        return "DynamoDB table (lock tables are never deleted)"
    if candidate.kind in ("ec2:instance", "ec2:volume") and candidate.tags.get("Component") == "databases":
        return "database instance or volume: snapshot and delete by hand"
    if candidate.kind not in _DELETER:
        return f"no deleter for {candidate.kind}: delete by hand if it really is an orphan"
    return None


@dataclass
class CleanupReport:
    environment: str
    dry_run: bool
    orphans: list[Candidate]
    protected: list[tuple[Candidate, str]]
    deleted: list[Candidate] = field(default_factory=list)
    failed: list[tuple[Candidate, str]] = field(default_factory=list)
    now: datetime = field(default_factory=now_utc)

    def rows(self) -> list[dict[str, Any]]:
        deleted = {c.arn for c in self.deleted}
        failed = {c.arn: reason for c, reason in self.failed}
        rows = []
        for candidate in self.orphans:
            status = "deleted" if candidate.arn in deleted else failed.get(candidate.arn, "would delete")
            if self.dry_run:
                status = "would delete (dry run)"
            rows.append({**candidate.row(self.now), "status": status})
        for candidate, reason in self.protected:
            rows.append({**candidate.row(self.now), "status": f"kept: {reason}"})
        return rows


def find_orphans(
    session: AwsSession, terraform: TerraformResource, environment: Environment, environments: Environments
) -> tuple[list[Candidate], list[tuple[Candidate, str]]]:
    """(deletable orphans in dependency order, protected orphans with the reason); refuses tag/name conflicts."""
    candidates = tagged_resources(session, environment)
    conflicts = [m for m in (name_mismatch(c, environment, environments) for c in candidates) if m]
    if conflicts:
        raise CleanupRefused(
            f"cleanup of {environment.name} refused, nothing deleted: tags disagree with names:\n  "
            + "\n  ".join(conflicts)
        )
    references = state_references(terraform, environment)
    orphans = [c for c in candidates if not ({c.resource_id, c.arn, c.name} & references)]
    deletable, protected = [], []
    for candidate in orphans:
        reason = protection(candidate, environment)
        if reason:
            protected.append((candidate, reason))
        else:
            deletable.append(candidate)
    deletable.sort(key=lambda c: (_ORDER[c.kind], c.resource_id))
    return deletable, protected


def check_may_delete(environment: Environment, run_tags: dict[str, str], confirmation: str) -> None:
    """Guards of a deleting cleanup, checked before anything is listed or deleted."""
    if run_tags.get(naming.TRIGGER_TAG) == naming.BRANCH_PUSH_TRIGGER:
        raise CleanupRefused(
            f"cleanup of {environment.name} refused, nothing deleted: this run was triggered by a branch push "
            f"({naming.TRIGGER_TAG}={naming.BRANCH_PUSH_TRIGGER}); orphan cleanup only deletes from runs started by hand"
        )
    if environment.protected and confirmation != environment.name:
        raise CleanupRefused(
            f"cleanup of {environment.name} refused, nothing deleted: production deletion needs "
            f"confirm_environment set to {environment.name!r} (got {confirmation!r})"
        )


def run_cleanup(
    session: AwsSession,
    terraform: TerraformResource,
    environment: Environment,
    environments: Environments,
    *,
    delete: bool,
    min_age: timedelta = DEFAULT_MIN_AGE,
    first_seen: Mapping[str, datetime] | None = None,
    now: datetime | None = None,
    run_tags: dict[str, str] | None = None,
    confirmation: str = "",
    attempts: int = 5,
    retry_delay_seconds: float = 5.0,
    log: Callable[[str], None] = lambda line: None,
) -> CleanupReport:
    """Find the environment's orphans; delete them only when `delete` is set and every guard passes."""
    if delete:
        check_may_delete(environment, run_tags or {}, confirmation)
    orphans, protected = find_orphans(session, terraform, environment, environments)
    now = now or now_utc()
    young = [(c, too_young(c, now, min_age, first_seen or {})) for c in orphans]
    protected = protected + [(c, reason) for c, reason in young if reason]
    orphans = [c for c, reason in young if not reason]
    report = CleanupReport(environment.name, not delete, orphans, protected, now=now)
    if not delete:
        return report
    pending = list(orphans)
    for attempt in range(1, attempts + 1):
        still: list[tuple[Candidate, str]] = []
        for candidate in pending:
            try:
                _DELETER[candidate.kind](session, candidate)
            except ClientError as error:
                code = error.response["Error"]["Code"]
                if "NotFound" in code:
                    log(f"{candidate.kind} {candidate.resource_id} already gone")
                    report.deleted.append(candidate)
                    continue
                still.append((candidate, f"{code}: {error.response['Error'].get('Message', '')}"))
                continue
            log(f"deleted {candidate.kind} {candidate.resource_id} ({candidate.name})")
            report.deleted.append(candidate)
        if not still:
            break
        pending = [c for c, _ in still]
        report.failed = still
        if attempt < attempts:
            log(
                f"{len(still)} deletion(s) failed (attempt {attempt}/{attempts}); retrying in {retry_delay_seconds}s"
            )
            time.sleep(retry_delay_seconds * attempt)
    else:
        return report
    report.failed = []
    return report
