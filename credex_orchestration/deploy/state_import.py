"""Import resources into a workspace's state with import blocks generated for one run.

The roots stay untouched: the root is copied into a run-scoped directory (the roots use no modules,
so no sibling directory is needed), `credex_imports.tf` is written next to its `*.tf`, and that copy is planned
with `-target` on the imported addresses against the same backend and workspace, in its own data directory
(docs/decisions/0050-run-scoped-import-blocks.md). The plan is applied only when no imported address would be
created and nothing would be replaced or destroyed. What an imported resource depends on and nothing imported
is created with it (the HTTPS listener's certificate): refusing it would leave the listener to a create that
AWS refuses (docs/decisions/0166-imports-create-their-dependencies.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..lib.terraform import PlanSummary, TerraformWorkspace

_RESOURCE_BLOCK = re.compile(r'^\s*resource\s+"([^"]+)"\s+"([^"]+)"', re.M)
_INDEX = re.compile(r"\[[^\]]*\]$")
_DESTRUCTIVE = ("delete", "replace")


class ImportRefused(RuntimeError):
    """The import would not be clean (unknown address, missing id, or the plan creates/destroys)."""


@dataclass(frozen=True)
class ImportTarget:
    """One resource to import: its address in the root and the provider's import id."""

    address: str
    import_id: str
    name: str = ""

    @property
    def resource(self) -> str:
        """`aws_subnet.public[0]` -> `aws_subnet.public` (the block that must exist in the root)."""
        return _INDEX.sub("", self.address)


@dataclass
class ImportResult:
    imported: list[ImportTarget]
    plan: PlanSummary | None
    updated: list[str]
    created: list[str] = field(default_factory=list)  # dependencies of imported resources, created with them


def declared_resources(root: Path) -> set[str]:
    """`type.name` of every resource block of a root (managed resources only)."""
    found: set[str] = set()
    for path in sorted(Path(root).glob("*.tf")):
        found.update(f"{kind}.{name}" for kind, name in _RESOURCE_BLOCK.findall(path.read_text()))
    return found


def render_imports(targets: Iterable[ImportTarget]) -> str:
    """HCL import blocks; ids are JSON strings (HCL string syntax is a superset for these values)."""
    blocks = []
    for target in targets:
        blocks.append(f"import {{\n  to = {target.address}\n  id = {json.dumps(target.import_id)}\n}}\n")
    return "# Generated for one run by credex_orchestration.deploy.state_import; never checked in.\n" + (
        "\n".join(blocks)
    )


def run_scoped_workspace(
    workspace: TerraformWorkspace, run_dir: Path, files: Mapping[str, str] | None = None
) -> TerraformWorkspace:
    """A copy of the workspace whose root is a copy of the root under `run_dir`, with `files` added.

    Same backend and workspace name (so the same state), its own data directory (so the real root's
    initialisation is left as it was): the engine's `with_extra_files`.
    """
    return workspace.with_extra_files(files or {}, run_dir)


def check_targets(workspace: TerraformWorkspace, targets: list[ImportTarget]) -> None:
    """Refuse before Terraform runs: every address must be declared in the root, ids must be non-empty."""
    declared = declared_resources(workspace.root)
    problems = []
    seen: set[str] = set()
    for target in targets:
        if target.resource not in declared:
            problems.append(f"{target.address}: no resource block {target.resource} in {workspace.root}")
        if not target.import_id.strip():
            problems.append(f"{target.address}: empty import id")
        if target.address in seen:
            problems.append(f"{target.address}: imported twice")
        seen.add(target.address)
    if problems:
        raise ImportRefused(
            f"import into workspace {workspace.workspace} refused, nothing imported:\n  "
            + "\n  ".join(problems)
        )


def import_into_state(
    workspace: TerraformWorkspace,
    targets: list[ImportTarget],
    run_dir: Path,
    variables: Mapping[str, Any] | None = None,
) -> ImportResult:
    """Import `targets` into the workspace's state; fail listing the differences when the plan is not clean."""
    if not targets:
        return ImportResult([], None, [])
    check_targets(workspace, targets)
    scoped = run_scoped_workspace(workspace, run_dir, {"credex_imports.tf": render_imports(targets)})
    plan = scoped.plan(
        Path(run_dir) / "import.tfplan", variables or {}, targets=[target.address for target in targets]
    )
    imported = {target.address for target in targets}
    bad = [
        f"{change.action}: {change.address}"
        for change in plan.changes
        if change.action in _DESTRUCTIVE or (change.action == "create" and change.address in imported)
    ]
    if bad:
        raise ImportRefused(
            f"import into workspace {workspace.workspace} refused, nothing imported: after import the plan "
            f"would still change these resources (the existing resources differ from the root):\n  "
            + "\n  ".join(bad)
        )
    scoped.apply(plan)
    updated = [change.address for change in plan.changes if change.action == "update"]
    created = [change.address for change in plan.changes if change.action == "create"]
    return ImportResult(list(targets), plan, updated, created)
