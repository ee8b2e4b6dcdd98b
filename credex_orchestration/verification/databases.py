"""The databases' checks: both Neo4j instances up, reachable only from the app, credentials complete.

The secret's values are never kept: only its key names are compared (they are not secret), and errors
never quote the secret string.
"""

from __future__ import annotations

import json
from typing import Any

from .. import naming
from ..environments import Environment
from .outcome import Outcome, guarded

SPACES = ("LedgerSpace", "SearchSpace")
SECRET_KEYS = frozenset(naming.NEO4J_SECRET_KEYS)


def instances_running(ec2: Any, environment: Environment) -> Outcome:
    """Each space has exactly one running instance whose system and instance status checks are ok."""
    instances, problems = [], []
    for space in SPACES:
        name = naming.neo4j_instance(environment, space)
        reservations = ec2.describe_instances(
            Filters=[
                {"Name": "tag:Name", "Values": [name]},
                {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]},
            ]
        )["Reservations"]
        found = [i for r in reservations for i in r["Instances"]]
        if len(found) != 1:
            problems.append(f"{name}: {len(found)} instances, expected 1")
            instances.append({"name": name, "count": len(found)})
            continue
        instance = found[0]
        state = instance["State"]["Name"]
        statuses = ec2.describe_instance_status(
            InstanceIds=[instance["InstanceId"]], IncludeAllInstances=True
        )["InstanceStatuses"]
        system = statuses[0]["SystemStatus"]["Status"] if statuses else "unknown"
        own = statuses[0]["InstanceStatus"]["Status"] if statuses else "unknown"
        instances.append(
            {
                "name": name,
                "id": instance["InstanceId"],
                "state": state,
                "system_status": system,
                "instance_status": own,
            }
        )
        if state != "running":
            problems.append(f"{name} ({instance['InstanceId']}) is {state}")
        elif system != "ok" or own != "ok":
            problems.append(
                f"{name} ({instance['InstanceId']}) status checks: system {system}, instance {own}"
            )
    if problems:
        return Outcome.fail("; ".join(problems), instances=instances)
    return Outcome.ok("both Neo4j instances running, status checks ok", instances=instances)


def _group(ec2: Any, vpc_filters: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    groups = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}, *vpc_filters])[
        "SecurityGroups"
    ]
    return groups[0] if len(groups) == 1 else None


def neo4j_reachable_only_from_app(ec2: Any, environment: Environment) -> Outcome:
    """Every ingress rule of the Neo4j group names the ECS tasks' group, and nothing else."""
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [naming.vpc(environment)]}])["Vpcs"]
    vpc_filters = [{"Name": "vpc-id", "Values": [vpcs[0]["VpcId"]]}] if len(vpcs) == 1 else []
    neo4j_name, app_name = (
        naming.neo4j_security_group(environment),
        naming.ecs_tasks_security_group(environment),
    )
    neo4j, app = _group(ec2, vpc_filters, neo4j_name), _group(ec2, vpc_filters, app_name)
    if neo4j is None or app is None:
        missing = [n for n, g in ((neo4j_name, neo4j), (app_name, app)) if g is None]
        return Outcome.fail(f"security group(s) not found (or not unique): {', '.join(missing)}")
    rules, problems = [], []
    for permission in neo4j.get("IpPermissions", []):
        ports = f"{permission.get('FromPort', 'all')}-{permission.get('ToPort', 'all')}/{permission.get('IpProtocol')}"
        sources = [p["GroupId"] for p in permission.get("UserIdGroupPairs", [])]
        open_to = [r["CidrIp"] for r in permission.get("IpRanges", [])]
        open_to += [r["CidrIpv6"] for r in permission.get("Ipv6Ranges", [])]
        open_to += [r["PrefixListId"] for r in permission.get("PrefixListIds", [])]
        rules.append({"ports": ports, "groups": sources, "addresses": open_to})
        if open_to:
            problems.append(f"{ports} open to addresses {', '.join(open_to)}")
        others = [g for g in sources if g != app["GroupId"]]
        if others:
            problems.append(f"{ports} open to group(s) {', '.join(others)}")
    facts = {"neo4j_group": neo4j["GroupId"], "app_group": app["GroupId"], "ingress": rules}
    if problems:
        return Outcome.fail(
            f"{neo4j_name} reachable from more than {app_name}: " + "; ".join(problems), **facts
        )
    if not rules:
        return Outcome.fail(f"{neo4j_name} has no ingress: the app cannot reach Neo4j", **facts)
    return Outcome.ok(f"{neo4j_name} reachable only from {app_name}", **facts)


def secret_complete(secrets: Any, environment: Environment) -> Outcome:
    """The Neo4j secret is a JSON object with exactly the six keys; values are dropped unread."""
    name = naming.neo4j_secret(environment)
    try:
        document = json.loads(secrets.get_secret_value(SecretId=name).get("SecretString") or "null")
    except ValueError:
        document = None  # the parser's message could quote the secret: say only what is wrong
    if not isinstance(document, dict):
        return Outcome.fail(f"secret {name} is not a JSON object", secret=name)
    keys = set(document)
    del document  # values are never kept, logged or returned
    missing, extra = sorted(SECRET_KEYS - keys), sorted(keys - SECRET_KEYS)
    facts = {"secret": name, "missing_keys": missing, "unexpected_keys": extra}
    if missing or extra:
        return Outcome.fail(
            f"secret {name}: missing {', '.join(missing) or 'none'}; unexpected {', '.join(extra) or 'none'}",
            **facts,
        )
    return Outcome.ok(f"secret {name} has the six keys", **facts)


def verify(session: Any, environment: Environment) -> dict[str, Outcome]:
    """The databases' three checks in order, each guarded: what `<env>/databases`' asset check reports."""
    ec2, secrets = session.client("ec2"), session.client("secretsmanager")
    return {
        "neo4j_instances_running": guarded("Neo4j instances", lambda: instances_running(ec2, environment)),
        "neo4j_reachable_only_from_app": guarded(
            "Neo4j security group", lambda: neo4j_reachable_only_from_app(ec2, environment)
        ),
        "neo4j_secret_complete": guarded("Neo4j secret", lambda: secret_complete(secrets, environment)),
    }
