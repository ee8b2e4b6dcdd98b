"""Finding an environment's orphans: tagged for it in AWS, referenced by none of its Terraform states.

Inventory = the tagging API filtered on `Project=credex-core` AND `Environment=<env>`, plus per-service
listings where the tagging API is incomplete (ECR repositories, AMIs, snapshots). References = every id, ARN
and name in the state of each component's workspace of that environment. A state that cannot be read stops
the search: an unreadable state would make every resource look orphaned.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .. import naming
from ..environments import COMPONENTS, Environment, Environments
from ..lib.aws import AwsSession
from ..resources import TerraformResource


@dataclass(frozen=True)
class Candidate:
    """One tagged resource: `kind` is `<service>:<resource type>` as in its ARN."""

    kind: str
    resource_id: str
    arn: str
    name: str
    tags: Mapping[str, str] = field(default_factory=dict)
    created: datetime | None = None

    def age_days(self, now: datetime) -> float | None:
        return round((now - self.created).total_seconds() / 86400, 1) if self.created else None

    def row(self, now: datetime) -> dict[str, Any]:
        age = self.age_days(now)
        return {
            "type": self.kind,
            "id": self.resource_id,
            "name": self.name,
            "tags": ", ".join(f"{k}={v}" for k, v in sorted(self.tags.items())),
            "age_days": "unknown" if age is None else age,
        }


def parse_arn(arn: str) -> tuple[str, str]:
    """(kind, id) of an ARN: `arn:aws:ec2:r:a:vpc/vpc-1` -> (`ec2:vpc`, `vpc-1`)."""
    parts = arn.split(":", 5)
    service, resource = parts[2], parts[5]
    if service == "s3":
        return "s3:bucket", resource
    if service == "logs":  # log-group:/ecs/name[:*]
        return "logs:log-group", resource.split(":", 1)[1].removesuffix(":*")
    if service in ("elasticloadbalancing", "secretsmanager", "ecs"):
        kind = re.split(r"[:/]", resource, maxsplit=1)[0]
        return f"{service}:{kind}", arn  # Terraform keeps these by ARN (ecs: id is the ARN too)
    kind, _, rest = resource.partition("/") if "/" in resource else resource.partition(":")
    return f"{service}:{kind}", rest.rsplit("/", 1)[-1] or resource


def _tag_map(
    items: Iterable[Mapping[str, str]] | None, key: str = "Key", value: str = "Value"
) -> dict[str, str]:
    return {item[key]: item[value] for item in items or []}


def tagged_resources(session: AwsSession, environment: Environment) -> list[Candidate]:
    """Everything tagged Project=credex-core and Environment=<env>, from the tagging API and per service."""
    filters = {"Project": naming.PROJECT_TAG, "Environment": environment.name}
    found: dict[tuple[str, str], Candidate] = {}
    tagging = session.client("resourcegroupstaggingapi")
    for page in tagging.get_paginator("get_resources").paginate(
        TagFilters=[{"Key": key, "Values": [value]} for key, value in filters.items()]
    ):
        for item in page["ResourceTagMappingList"]:
            kind, resource_id = parse_arn(item["ResourceARN"])
            tags = _tag_map(item.get("Tags"))
            found[(kind, resource_id)] = Candidate(
                kind, resource_id, item["ResourceARN"], _name(kind, resource_id, tags), tags
            )
    for candidate in _per_service(session, filters):
        found.setdefault((candidate.kind, candidate.resource_id), candidate)
    # Belt and braces: keep only exact tag matches, whatever an API's filter semantics.
    kept = [c for c in found.values() if all(c.tags.get(k) == v for k, v in filters.items())]
    kept = [c for c in kept if not _already_going(session, c)]
    return [_with_created(session, c) for c in sorted(kept, key=lambda c: (c.kind, c.resource_id))]


def _already_going(session: AwsSession, candidate: Candidate) -> bool:
    """Secrets scheduled for deletion, terminated instances and deleted (INACTIVE) ECS clusters still carry
    their tags, and AWS keeps listing them for a while: not orphans."""
    if candidate.kind == "secretsmanager:secret":
        return "DeletedDate" in session.client("secretsmanager").describe_secret(SecretId=candidate.arn)
    if candidate.kind == "ec2:instance":
        reservations = session.client("ec2").describe_instances(InstanceIds=[candidate.resource_id])[
            "Reservations"
        ]
        states = {i["State"]["Name"] for r in reservations for i in r["Instances"]}
        return bool(states) and states <= {"terminated", "shutting-down"}
    if candidate.kind == "ecs:cluster":
        clusters = session.client("ecs").describe_clusters(clusters=[candidate.arn])["clusters"]
        return bool(clusters) and all(cluster["status"] == "INACTIVE" for cluster in clusters)
    return False


def _name(kind: str, resource_id: str, tags: Mapping[str, str]) -> str:
    if tags.get("Name"):
        return tags["Name"]
    if kind.startswith(("elasticloadbalancing:", "ecs:")):
        return resource_id.split("/")[-2 if kind.endswith("balancer") or kind.endswith("targetgroup") else -1]
    if kind == "secretsmanager:secret":
        return re.sub(r"-[A-Za-z0-9]{6}$", "", resource_id.split(":secret:")[-1])
    return resource_id


def _per_service(session: AwsSession, filters: Mapping[str, str]) -> list[Candidate]:
    """ECR repositories, AMIs and snapshots: the tagging API does not list them (toolchain-notes.md)."""
    found = []
    ecr = session.client("ecr")
    for page in ecr.get_paginator("describe_repositories").paginate():
        for repo in page["repositories"]:
            tags = _tag_map(ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"]).get("tags"))
            if all(tags.get(k) == v for k, v in filters.items()):
                found.append(
                    Candidate(
                        "ecr:repository",
                        repo["repositoryName"],
                        repo["repositoryArn"],
                        repo["repositoryName"],
                        tags,
                        repo.get("createdAt"),
                    )
                )
    ec2 = session.client("ec2")
    tag_filters = [{"Name": f"tag:{k}", "Values": [v]} for k, v in filters.items()]
    region = session.region
    for image in ec2.describe_images(Owners=["self"], Filters=tag_filters)["Images"]:
        tags = _tag_map(image.get("Tags"))
        created = (
            datetime.fromisoformat(image["CreationDate"].replace("Z", "+00:00"))
            if image.get("CreationDate")
            else None
        )
        found.append(
            Candidate(
                "ec2:image",
                image["ImageId"],
                f"arn:aws:ec2:{region}::image/{image['ImageId']}",
                image.get("Name") or tags.get("Name", image["ImageId"]),
                tags,
                created,
            )
        )
    for snapshot in ec2.describe_snapshots(OwnerIds=["self"], Filters=tag_filters)["Snapshots"]:
        tags = _tag_map(snapshot.get("Tags"))
        found.append(
            Candidate(
                "ec2:snapshot",
                snapshot["SnapshotId"],
                f"arn:aws:ec2:{region}:{snapshot.get('OwnerId', '')}:snapshot/{snapshot['SnapshotId']}",
                tags.get("Name", snapshot["SnapshotId"]),
                tags,
                snapshot.get("StartTime"),
            )
        )
    return found


def _with_created(session: AwsSession, candidate: Candidate) -> Candidate:
    """Creation time where one cheap describe call gives it (the age column of the report)."""
    if candidate.created is not None:
        return candidate
    created = None
    try:
        if candidate.kind == "ec2:instance":
            reservations = session.client("ec2").describe_instances(InstanceIds=[candidate.resource_id])
            created = reservations["Reservations"][0]["Instances"][0].get("LaunchTime")
        elif candidate.kind == "ec2:volume":
            created = (
                session.client("ec2")
                .describe_volumes(VolumeIds=[candidate.resource_id])["Volumes"][0]
                .get("CreateTime")
            )
        elif candidate.kind == "elasticloadbalancing:loadbalancer":
            created = (
                session.client("elbv2")
                .describe_load_balancers(LoadBalancerArns=[candidate.arn])["LoadBalancers"][0]
                .get("CreatedTime")
            )
        elif candidate.kind == "secretsmanager:secret":
            created = (
                session.client("secretsmanager").describe_secret(SecretId=candidate.arn).get("CreatedDate")
            )
        elif candidate.kind == "logs:log-group":
            groups = session.client("logs").describe_log_groups(logGroupNamePrefix=candidate.resource_id)
            millis = next((g.get("creationTime") for g in groups["logGroups"]), None)
            created = datetime.fromtimestamp(millis / 1000, UTC) if millis else None
    except Exception:  # the age is informative only; a failed lookup leaves it unknown
        created = None
    return Candidate(
        candidate.kind, candidate.resource_id, candidate.arn, candidate.name, candidate.tags, created
    )


class StateUnreadable(RuntimeError):
    """A component's state could not be read: cleanup cannot tell orphans from managed resources."""


def _collect(values: Any, into: set[str]) -> None:
    if isinstance(values, dict):
        for key, value in values.items():
            if key in ("id", "arn", "name", "repository_url") and isinstance(value, str) and value:
                into.add(value)
            elif isinstance(value, dict | list):
                _collect(value, into)
    elif isinstance(values, list):
        for item in values:
            _collect(item, into)


def _module_resources(module: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _module_resources(child)


def state_references(terraform: TerraformResource, environment: Environment) -> set[str]:
    """Ids, ARNs and names of every resource in every component state of the environment.

    The workspace is opened without a log: `terraform show -json` prints the whole state, secrets included.
    """
    references: set[str] = set()
    for component in COMPONENTS:
        workspace = terraform.workspace(environment, component)
        try:
            workspace.prepare()
            result = workspace.run("show", "-json", "-no-color")
            state = json.loads("\n".join(result.stdout) or "{}")
        except Exception as error:
            raise StateUnreadable(
                f"cleanup of {environment.name} stopped, nothing deleted: the state of {component} "
                f"(workspace {workspace.workspace}) could not be read: {type(error).__name__}"
            ) from None
        for resource in _module_resources(state.get("values", {}).get("root_module", {})):
            _collect(resource.get("values", {}), references)
    return references


def environment_tokens(environment: Environment) -> set[str]:
    """Words that name an environment inside resource names (`staging`, `stage` for its secret)."""
    secret = naming.neo4j_secret(environment)  # neo4j_<short>_secrets
    return {environment.name, environment.slug, secret.removeprefix("neo4j_").removesuffix("_secrets")}


def name_mismatch(candidate: Candidate, environment: Environment, environments: Environments) -> str | None:
    """Why a resource's name says another environment than its Environment tag, else None."""
    name = candidate.name.lower()
    if _names_any(name, environment_tokens(environment)):
        return None
    for other in environments.values():
        if other.name != environment.name and _names_any(name, environment_tokens(other)):
            return (
                f"{candidate.kind} {candidate.resource_id} is named {candidate.name!r} (environment "
                f"{other.name}) but tagged Environment={candidate.tags.get('Environment')}"
            )
    return None


def _names_any(name: str, tokens: set[str]) -> bool:
    """Whether a token appears in the name as a whole word (`model_001` in `credex-vpc-model-001`)."""
    return any(re.search(rf"(^|[-_/.: ]){re.escape(token)}($|[-_/.: ])", name) for token in tokens)


def now_utc() -> datetime:
    return datetime.now(UTC)


def too_young(
    candidate: Candidate, now: datetime, min_age: timedelta, first_seen: Mapping[str, datetime]
) -> str | None:
    """Why an orphan is kept for now, else None: it may be what an apply created and has not saved yet.

    Its creation time decides when AWS gives one; otherwise the time an earlier cleanup of the environment
    first reported it as an orphan (`first_seen`, by ARN), so a resource of unknown age waits one `min_age`
    after it was first seen orphaned.
    """
    if min_age <= timedelta(0):
        return None
    threshold = f"{min_age.total_seconds() / 60:g} min"
    if candidate.created is not None:
        age = now - candidate.created
        if age < min_age:
            return f"created {round(age.total_seconds() / 60, 1)} min ago, younger than {threshold}: kept"
        return None
    seen = first_seen.get(candidate.arn)
    if seen is None:
        return f"age unknown and first seen orphaned now: kept until a cleanup {threshold} from now"
    if now - seen < min_age:
        return f"age unknown; first seen orphaned {round((now - seen).total_seconds() / 60, 1)} min ago: kept"
    return None
