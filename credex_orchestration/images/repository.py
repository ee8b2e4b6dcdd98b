"""Which Neo4j versions Neo4j's RPM repository offers: read from its metadata, the source of truth.

The builder refuses a version the repository does not have before any instance is launched; the release
sensor and the freshness check read the same metadata through the same parser (lib/rpm_repository.py), so a
version either side names is one `dnf install neo4j-<version>` resolves. Never the Neo4j website.
"""

import re

from ..lib.rpm_repository import RepositoryError
from ..lib.rpm_repository import available_versions as repository_versions

PACKAGES = {"community": "neo4j", "enterprise": "neo4j-enterprise"}
# The one version format of builds, sensor requests and records: rpm's `ver` of a release (5.26.12, 2025.10.1).
VERSION = re.compile(r"^\d+\.\d+\.\d+$")

__all__ = ["PACKAGES", "VERSION", "RepositoryError", "available_versions"]


def available_versions(repository_url: str, package: str, timeout: float = 30) -> set[str]:
    """Versions (rpm `ver`, without epoch or release) of `package` in the repository at `repository_url`."""
    try:
        versions = repository_versions(repository_url, timeout)
    except RepositoryError as error:
        raise RepositoryError(
            f"cannot read the Neo4j package repository index at {repository_url}: {error}"
        ) from None
    return {str(version) for version in versions.get(package, [])}
