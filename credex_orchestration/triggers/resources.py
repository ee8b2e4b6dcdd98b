"""The outside systems the triggers read: the credex-core repository and Neo4j's RPM repository."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from ..environments import PROJECT_ROOT
from ..images.repository import PACKAGES
from ..images.settings import NEO4J_RPM_REPOSITORY
from ..lib.git import Deadline, GitCache, ls_remote
from ..lib.package_index import validate_track
from ..lib.rpm_repository import Repomd, RpmVersion, available_versions, fetch_primary, fetch_repomd

# Dagster's sensor evaluation times out at 60 s: a tick stays well inside it whatever a remote does.
TICK_BUDGET_SECONDS = 30


class CredexCoreRepository(ConfigurableResource):
    """Where credex-core lives (a remote URL or a local path); which files deploy what is data
    (credex-core-paths.yaml, triggers/paths.py)."""

    url: str = Field(
        default="",
        description="Remote URL or local path of the credex-core repository (e.g. $CREDEX_CORE_REPOSITORY).",
    )
    cache_dir: str = Field(
        default=".credex/git", description="Local cache of fetched commits (relative to the project root)."
    )
    timeout_seconds: float = Field(
        default=10, gt=0, le=TICK_BUDGET_SECONDS, description="Bound on each git command (ls-remote, fetch)."
    )
    tick_budget_seconds: float = Field(
        default=TICK_BUDGET_SECONDS,
        gt=0,
        le=50,
        description="Bound on all git commands of one sensor tick together (Dagster gives a tick 60 s).",
    )

    def deadline(self) -> Deadline:
        return Deadline(self.tick_budget_seconds)

    def tips(self, branches: list[str], deadline: Deadline | None = None) -> dict[str, str]:
        timeout = deadline.bound(self.timeout_seconds) if deadline else self.timeout_seconds
        return ls_remote(self.url, branches, timeout=timeout)

    def cache(self, deadline: Deadline | None = None) -> GitCache:
        path = Path(self.cache_dir).expanduser()
        return GitCache(
            path if path.is_absolute() else PROJECT_ROOT / path, self.url, self.timeout_seconds, deadline
        )


class Neo4jPackageIndex(ConfigurableResource):
    """Neo4j's RPM repository (the one AMIs install from, `neo4j_images.repository_url`) and a track per
    edition.

    The default follows the 5.26 LTS line; for calendar versions set the track to `calendar` (or a year such
    as `2025`). Versions are rpm's `ver` (5.26.12), the form the AMI build takes.
    """

    url: str = Field(
        default=NEO4J_RPM_REPOSITORY,
        description="Base URL of the RPM repository (its repodata/repomd.xml); the AMI build's repository_url.",
    )
    community_track: str = Field(default="5.26", description="Track of the community edition.")
    enterprise_track: str = Field(default="5.26", description="Track of the enterprise edition.")
    timeout_seconds: float = Field(default=20, gt=0, le=TICK_BUDGET_SECONDS)

    def track(self, edition: str) -> str:
        return validate_track(self.enterprise_track if edition == "enterprise" else self.community_track)

    def package(self, edition: str) -> str:
        return PACKAGES[edition]

    def repomd(self, etag: str | None = None, last_modified: str | None = None) -> Repomd | None:
        """The repository's repomd.xml, or None when unchanged since `etag` / `last_modified`."""
        return fetch_repomd(self.url, etag, last_modified, timeout=self.timeout_seconds)

    def primary(self, repomd: Repomd) -> dict[str, list[RpmVersion]]:
        return fetch_primary(self.url, repomd, timeout=self.timeout_seconds)

    def versions(self) -> dict[str, list[RpmVersion]]:
        """Every package's versions, read now (the freshness check's read)."""
        return available_versions(self.url, timeout=self.timeout_seconds)
