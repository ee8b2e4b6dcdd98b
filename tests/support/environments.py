"""Environments for tests: the checked-in file, with state kept in a local backend under a temp dir."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from credex_orchestration.environments import DEFAULT_ENVIRONMENTS_FILE, Environments, load_environments


def local_environments_file(tmp_path: Path, overrides: dict[str, dict[str, Any]] | None = None) -> Path:
    """A copy of environments.yaml whose environments keep Terraform state on local disk."""
    raw = yaml.safe_load(DEFAULT_ENVIRONMENTS_FILE.read_text())
    for name, body in raw["environments"].items():
        body["state"] = {"backend": "local", "lock_timeout_seconds": 2}
        for key, value in (overrides or {}).get(name, {}).items():
            _merge(body, key, value)
    path = tmp_path / "environments.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def local_environments(tmp_path: Path, overrides: dict[str, dict[str, Any]] | None = None) -> Environments:
    return load_environments(local_environments_file(tmp_path, overrides))


def _merge(body: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    for part in parents:
        body = body.setdefault(part, {})
    body[leaf] = value


def write_environments(tmp_path: Path, mutate) -> Path:
    """The checked-in environments file after `mutate(raw["environments"])`, written to a temp file."""
    raw = yaml.safe_load(DEFAULT_ENVIRONMENTS_FILE.read_text())
    mutate(raw["environments"])
    path = tmp_path / "envs.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path
