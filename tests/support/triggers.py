"""Environments for trigger tests: state on local disk, and no quiet windows (ticks at any hour)."""

from __future__ import annotations

from pathlib import Path

from credex_orchestration.environments import Environments

from .environments import local_environments


def trigger_environments(tmp_path: Path) -> Environments:
    names = ("development", "staging", "production")
    return local_environments(tmp_path, {name: {"triggers.quiet_windows_utc": []} for name in names})
