"""Code versions of the component assets: a digest of the component's Terraform root and its environment entry.

`code_version(environment, component)` is given to each component asset when the code location loads, so
Dagster records it on every materialisation. A reload whose roots or entry changed makes the version differ
from the one last materialised: the `infrastructure_<env>` sensor (code_version_sensor.py) deploys those
components. The version keeps its two parts apart (`root=<16 hex>;entry=<16 hex>`) so promotion can ask
"did the environment promoted from deploy this same root?" whatever its own entry says
(docs/decisions/0121-infrastructure-code-versions.md).
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

from ..environments import PROJECT_ROOT, Environment

ROOTS_VAR = "CREDEX_TERRAFORM_ROOTS"
# Not part of the root's code: Terraform's working files and local state.
_IGNORED_DIRS = {".terraform", "__pycache__"}
_IGNORED_SUFFIXES = (".tfstate", ".tfstate.backup", ".tfplan", ".lock.info")


def roots_dir() -> Path:
    """The roots the deploys run (the same setting as the Terraform resource's default)."""
    path = Path(os.environ.get(ROOTS_VAR) or "terraform")
    return path if path.is_absolute() else PROJECT_ROOT / path


@functools.cache
def root_digest(root: Path) -> str:
    """sha256 over the root's files (relative path and content), in path order."""
    if not root.is_dir():
        raise FileNotFoundError(f"Terraform root {root} does not exist")
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if not path.is_file() or _IGNORED_DIRS.intersection(relative.parts):
            continue
        if path.name.endswith(_IGNORED_SUFFIXES):
            continue
        digest.update(relative.as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def entry_digest(environment: Environment) -> str:
    """sha256 of the environment's validated entry (defaults filled in, keys sorted)."""
    return hashlib.sha256(environment.model_dump_json().encode()).hexdigest()


def code_version(environment: Environment, component: str, roots: Path | None = None) -> str:
    root = (roots or roots_dir()) / component
    return f"root={root_digest(root)[:16]};entry={entry_digest(environment)[:16]}"


def root_part(version: str | None) -> str | None:
    """`root=<hex>` of a code version written by `code_version`, else None (a version of another form)."""
    if not version:
        return None
    part = version.split(";", 1)[0]
    return part if part.startswith("root=") else None
