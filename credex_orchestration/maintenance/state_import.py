"""Import resources into a workspace's state with import blocks generated for one run.

The roots stay untouched: the roots directory is copied into a run-scoped directory (so relative module
sources still resolve), `imports.tf` is written next to the component's `*.tf`, and that copy is planned
with `-target` on the imported addresses against the same backend and workspace, in its own data directory
(docs/decisions/0050-run-scoped-import-blocks.md). The plan is applied only when no imported address would be
created, replaced or destroyed.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..lib.terraform import PlanSummary, TerraformWorkspace

_RESOURCE_BLOCK = re.compile(r'^\s*resource\s+"([^"]+)"\s+"([^"]+)"', re.M)
_INDEX = re.compile(r"\[[^\]]*\]$")
_BAD_ACTIONS = ("create", "delete", "replace")


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
    return "# Generated for one run by credex_orchestration.maintenance.state_import; never checked in.\n" + (
        "\n".join(blocks)
    )


def run_scoped_workspace(workspace: TerraformWorkspace, run_dir: Path) -> TerraformWorkspace:
    """A copy of the workspace whose root is a copy of the roots directory under `run_dir`.

    Same backend and workspace name (so the same state), its own data directory (so the real root's
    initialisation is left as it was).
    """
    roots_dir = workspace.root.parent
    copied = Path(run_dir) / "roots"
    if copied.exists():
        shutil.rmtree(copied)
    shutil.copytree(roots_dir, copied, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    clone = copy.copy(workspace)
    clone.root = (copied / workspace.root.name).resolve()
    clone.data_dir = (Path(run_dir) / "data").resolve()
    clone._prepared = False  # the engine prepares lazily; the clone must init its own data dir
    return clone


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
    scoped = run_scoped_workspace(workspace, run_dir)
    (scoped.root / "credex_imports.tf").write_text(render_imports(targets))
    target_flags = [f"-target={target.address}" for target in targets]
    plan = _targeted_plan(scoped, Path(run_dir) / "import.tfplan", variables or {}, target_flags)
    bad = [f"{change.action}: {change.address}" for change in plan.changes if change.action in _BAD_ACTIONS]
    if bad:
        raise ImportRefused(
            f"import into workspace {workspace.workspace} refused, nothing imported: after import the plan "
            f"would still change these resources (the existing resources differ from the root):\n  "
            + "\n  ".join(bad)
        )
    scoped.apply(plan)
    updated = [change.address for change in plan.changes if change.action == "update"]
    return ImportResult(list(targets), plan, updated)


def _targeted_plan(
    workspace: TerraformWorkspace, plan_path: Path, variables: Mapping[str, Any], flags: list[str]
) -> PlanSummary:
    """`terraform plan -target=...` through the engine (its `plan` has no target option)."""
    from ..lib.terraform import _summarise_plan  # the engine's own parser of plan events

    workspace.prepare()
    plan_path = Path(plan_path).resolve()
    with workspace._var_file(variables) as var_args:
        result = workspace.run(
            "plan",
            "-input=false",
            "-no-color",
            "-json",
            "-detailed-exitcode",
            f"-lock-timeout={workspace.lock_timeout_seconds}s",
            f"-out={plan_path}",
            *flags,
            *var_args,
            json_lines=True,
            allow=(0, 2),
        )
    return _summarise_plan(plan_path, result)
