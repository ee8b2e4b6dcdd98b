"""The outside systems the triggers read: the credex-core repository and Neo4j's package repository."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from ..environments import PROJECT_ROOT
from ..lib.git import GitCache, ls_remote
from ..lib.package_index import IndexResponse, fetch_index, validate_track
from .paths import DEFAULT_COMPONENT_PATHS, ComponentPaths


class CredexCoreRepository(ConfigurableResource):
    """Where credex-core lives (a remote URL or a local path) and how its files map to components."""

    url: str = Field(
        default="",
        description="Remote URL or local path of the credex-core repository (e.g. $CREDEX_CORE_REPOSITORY).",
    )
    cache_dir: str = Field(
        default=".credex/git", description="Local cache of fetched commits (relative to the project root)."
    )
    component_paths: dict[str, list[str]] = Field(
        default_factory=lambda: {name: list(globs) for name, globs in DEFAULT_COMPONENT_PATHS.items()},
        description="Component -> path globs (`**` any depth, `*` within one directory) that redeploy it.",
    )
    timeout_seconds: float = Field(default=60, gt=0, description="Bound on each git command.")

    def tips(self, branches: list[str]) -> dict[str, str]:
        return ls_remote(self.url, branches, timeout=self.timeout_seconds)

    def cache(self) -> GitCache:
        path = Path(self.cache_dir).expanduser()
        return GitCache(path if path.is_absolute() else PROJECT_ROOT / path, self.url, self.timeout_seconds)

    def paths(self) -> ComponentPaths:
        return ComponentPaths(self.component_paths)


NEO4J_PACKAGES = {"community": "neo4j", "enterprise": "neo4j-enterprise"}


class Neo4jPackageIndex(ConfigurableResource):
    """Neo4j's Debian `Packages` index (both editions' packages live in it) and the track per edition.

    The default follows the 5.26 LTS line from Neo4j's `5` component; for calendar versions point `url`
    at the `latest` component and set the track to `calendar` (or a year such as `2025`).
    """

    url: str = Field(
        default="https://debian.neo4j.com/dists/stable/5/binary-amd64/Packages",
        description="URL of the Debian Packages index the AMI installs from.",
    )
    community_track: str = Field(default="5.26", description="Track of the community edition.")
    enterprise_track: str = Field(default="5.26", description="Track of the enterprise edition.")
    timeout_seconds: float = Field(default=30, gt=0)

    def track(self, edition: str) -> str:
        return validate_track(self.enterprise_track if edition == "enterprise" else self.community_track)

    def package(self, edition: str) -> str:
        return NEO4J_PACKAGES[edition]

    def fetch(self, etag: str | None = None, last_modified: str | None = None) -> IndexResponse:
        return fetch_index(self.url, etag, last_modified, timeout=self.timeout_seconds)
