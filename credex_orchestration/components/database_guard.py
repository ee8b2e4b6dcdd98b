"""The destructive-plan guard: a plan that destroys or replaces a Neo4j instance or data volume is refused.

Replacing an instance or its volume loses the database (the old system's mistake 6: a new AMI or licence
change silently replaced instances). Protected: every `aws_instance` and `aws_ebs_volume`, the types the real
databases root (terraform/databases/instances.tf) declares them with.

The real root also sets `prevent_destroy` on them, so there Terraform's plan itself fails ("Instance cannot
be destroyed"); `prevented_destroys` reads those addresses from the error so the same refusal is given.

Not destructive but disruptive: an in-place update that EC2 applies only to a stopped instance (a new
instance type or user data: the provider stops, modifies and starts it). `stopping_updates` names the
instances a plan would stop, so the roll-out updates them one at a time (docs/decisions/0103).
"""

import re
from typing import Any

from ..environments import Environment
from ..lib.terraform import PlanSummary, TerraformError

PROTECTED_TYPES = ("aws_instance", "aws_ebs_volume")
ALLOW_FLAG = "allow_database_replacement"
PREVENT_DESTROY_SUMMARY = "Instance cannot be destroyed"
_PREVENTED = re.compile(r"Resource (\S+) has lifecycle\.prevent_destroy set")


class DestructivePlanRefused(RuntimeError):
    """The plan would destroy or replace a Neo4j instance or data volume and the run did not allow it."""


def _resource(address: str) -> tuple[str, str]:
    """(type, name) of an address, ignoring modules and instance keys."""
    parts = [part for part in re.sub(r"\[[^\]]*\]", "", address).split(".") if part]
    while parts and parts[0] in ("module", "data"):
        parts = parts[2:] if parts[0] == "module" else parts[1:]
    return (parts[0], parts[1]) if len(parts) >= 2 else ("", address)


def is_protected(address: str) -> bool:
    return _resource(address)[0] in PROTECTED_TYPES


def is_instance(address: str) -> bool:
    return _resource(address)[0] == "aws_instance"


def is_data_volume(address: str) -> bool:
    return is_protected(address) and not is_instance(address)


def prevented_destroys(error: TerraformError) -> list[str]:
    """Addresses whose destruction Terraform refused because of `prevent_destroy` (empty: another error)."""
    details = [p.detail for p in error.problems if p.summary == PREVENT_DESTROY_SUMMARY]
    if not error.problems and PREVENT_DESTROY_SUMMARY in str(error):
        details = [str(error)]
    return sorted({address for detail in details for address in _PREVENTED.findall(detail)})


# aws_instance arguments EC2 changes only while the instance is stopped (provider 5.x stops, modifies, starts).
STOPPING_ATTRIBUTES = (
    "instance_type",
    "user_data",
    "user_data_base64",
    "ebs_optimized",
    "cpu_options",
    "capacity_reservation_specification",
)


def _unknown(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(_unknown(item) for item in value)
    return value is True


def stopping_updates(plan_json: dict[str, Any]) -> list[str]:
    """Instances a saved plan (`terraform show -json`) updates in place in a way that stops them."""
    found = []
    for change in plan_json.get("resource_changes", []):
        diff = change.get("change", {})
        if change.get("mode") != "managed" or diff.get("actions") != ["update"]:
            continue
        if not is_instance(change["address"]):
            continue
        before, after = diff.get("before") or {}, diff.get("after") or {}
        unknown = diff.get("after_unknown") or {}
        if any(
            before.get(name) != after.get(name) or _unknown(unknown.get(name)) for name in STOPPING_ATTRIBUTES
        ):
            found.append(change["address"])
    return sorted(found)


def space_of(address: str) -> str | None:
    name = _resource(address)[1]
    if "ledgerspace" in name:
        return "LedgerSpace"
    if "searchspace" in name:
        return "SearchSpace"
    return None


def protected_changes(plan: PlanSummary) -> list[str]:
    """`<action>: <address>` of every planned destroy or replace of a protected resource."""
    return [
        f"{change.action}: {change.address}"
        for change in plan.changes
        if change.action in ("delete", "replace") and is_protected(change.address)
    ]


def refusal(environment: Environment, changes: list[str]) -> DestructivePlanRefused:
    listed = "\n  ".join(changes)
    return DestructivePlanRefused(
        f"{environment.name}/databases: the plan would destroy or replace Neo4j data:\n  {listed}\n"
        f"Nothing was applied. To replace them (data volumes are snapshotted first, then LedgerSpace and "
        f"SearchSpace are replaced one at a time), run again with "
        f"ops.{environment.name}__databases.config.{ALLOW_FLAG}: true"
        + (f" and confirm_environment: {environment.name}" if environment.protected else "")
        + "."
    )
