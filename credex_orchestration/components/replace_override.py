"""The override file that lifts `prevent_destroy` from ONE Neo4j instance for one targeted apply.

The checked-in databases root keeps `prevent_destroy = true` on instances and data volumes. An allowed
replacement writes this file into a run-scoped copy of the root only (Terraform merges a `lifecycle` block of
an override file argument by argument, so only `prevent_destroy` of that one resource changes), never for a
data volume: the volume keeps the data and is re-attached (docs/decisions/0080-replace-override.md).
"""

from .database_guard import _resource, is_instance

OVERRIDE_FILE = "zz_credex_replace_override.tf"


class NotAnInstance(ValueError):
    """The override was asked for something other than one Neo4j instance (a data volume, say)."""


def render_override(address: str) -> str:
    """HCL overriding `lifecycle.prevent_destroy` of the instance at `address` (no module, no index)."""
    kind, name = _resource(address)
    if not is_instance(address) or address != f"{kind}.{name}":
        raise NotAnInstance(
            f"{address}: prevent_destroy is only ever lifted from a Neo4j instance (aws_instance.<space>), "
            "never from a data volume or any other resource"
        )
    return (
        "# Generated for one targeted apply of one run by credex_orchestration.components.database_rollout; never\n"
        "# checked in. Lifts prevent_destroy from this one instance only; its data volume stays protected.\n"
        f'resource "{kind}" "{name}" {{\n'
        "  lifecycle {\n"
        "    prevent_destroy = false\n"
        "  }\n"
        "}\n"
    )
