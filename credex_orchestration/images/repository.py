"""Which Neo4j versions Neo4j's RPM repository offers: read from its index, the source of truth.

A minimal reader of a yum repository (`repodata/repomd.xml` -> primary index): enough to refuse a version
the repository does not have before any instance is launched. Never the Neo4j website.
"""

import gzip
import re
import urllib.request
import xml.etree.ElementTree as ElementTree

PACKAGES = {"community": "neo4j", "enterprise": "neo4j-enterprise"}
VERSION = re.compile(r"^\d+\.\d+\.\d+$")


class RepositoryError(RuntimeError):
    """The repository index could not be read."""


def _fetch(url: str, timeout: float) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            data = response.read()
    except OSError as error:
        raise RepositoryError(f"cannot read the Neo4j package repository index at {url}: {error}") from None
    return gzip.decompress(data) if url.endswith(".gz") else data


def available_versions(repository_url: str, package: str, timeout: float = 30) -> set[str]:
    """Versions (without epoch or release) of `package` in the repository at `repository_url`."""
    base = repository_url.rstrip("/")
    repomd = ElementTree.fromstring(_fetch(f"{base}/repodata/repomd.xml", timeout))
    location = repomd.find("./{*}data[@type='primary']/{*}location")
    if location is None or not location.get("href"):
        raise RepositoryError(f"{base}/repodata/repomd.xml names no primary index")
    primary = ElementTree.fromstring(_fetch(f"{base}/{location.get('href')}", timeout))
    versions = set()
    for entry in primary.iter():
        if entry.tag.rsplit("}", 1)[-1] != "package":
            continue
        name = entry.find("./{*}name")
        version = entry.find("./{*}version")
        if name is not None and name.text == package and version is not None and version.get("ver"):
            versions.add(version.get("ver"))
    return versions
