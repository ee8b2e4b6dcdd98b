"""A yum/dnf repository's metadata: `repodata/repomd.xml` -> the primary index -> versions per package.

What dnf on Amazon Linux 2023 sees is what this reads, so a version found here is one a build can install.
`repomd.xml` is small and fetched with If-None-Match / If-Modified-Since; it names the primary index with
its checksum, so an unchanged repository costs one 304 (or one small body) and no primary download.
Versions are `ver` of `<version epoch= ver= rel=>`, ordered as rpm orders them (rpmvercmp).
"""

from __future__ import annotations

import functools
import gzip
import re
import urllib.error
import urllib.request
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field

DEFAULT_TIMEOUT_SECONDS = 30
_RELEASE = re.compile(r"^\d+(\.\d+)+$")
_SEGMENT = re.compile(r"(\d+|[A-Za-z]+|~|\^)")


class RepositoryError(ValueError):
    """The metadata could not be fetched or read: the message names the URL and what is wrong."""


def rpmvercmp(left: str, right: str) -> int:
    """rpm's comparison of version (or release) strings: digits numerically, letters lexically,
    digits newer than letters, `~` older than anything (even the end), `^` newer than the end only."""
    if left == right:
        return 0
    a, b = _SEGMENT.findall(left), _SEGMENT.findall(right)
    while a or b:
        x = a.pop(0) if a else None
        y = b.pop(0) if b else None
        if x == "~" or y == "~":
            if x != y:
                return -1 if x == "~" else 1
            continue
        if x == "^" or y == "^":
            if x == y:
                continue
            if x is None:
                return -1
            if y is None:
                return 1
            return -1 if x == "^" else 1
        if x is None or y is None:
            return -1 if x is None else 1
        if x.isdigit() != y.isdigit():
            return 1 if x.isdigit() else -1
        if x.isdigit():
            ix, iy = int(x), int(y)
            if ix != iy:
                return 1 if ix > iy else -1
        elif x != y:
            return 1 if x > y else -1
    return 0


@functools.total_ordering
@dataclass(frozen=True)
class RpmVersion:
    """`epoch:version-release` of one package in the index; `str()` is the version alone (X.Y.Z), the form
    the AMI build takes and `dnf install <name>-<version>` resolves."""

    version: str
    epoch: int = 0
    release: str = field(default="", compare=False)

    @property
    def numbers(self) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", self.version.split("~")[0]))

    @property
    def is_release(self) -> bool:
        """Digits and dots only: `5.26.0~rc1`, `2025.01.0-alpha` style versions are pre-releases."""
        return bool(_RELEASE.match(self.version))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RpmVersion):
            return NotImplemented
        return self.epoch == other.epoch and rpmvercmp(self.version, other.version) == 0

    def __lt__(self, other: RpmVersion) -> bool:
        if self.epoch != other.epoch:
            return self.epoch < other.epoch
        return rpmvercmp(self.version, other.version) < 0

    def __hash__(self) -> int:
        return hash((self.epoch, self.numbers))

    def __str__(self) -> str:
        return self.version

    @classmethod
    def parse(cls, text: str) -> RpmVersion:
        """`5.26.12`, with an optional `epoch:` and `-release` (what a person or a record may write)."""
        match = re.fullmatch(r"(?:(\d+):)?([0-9][A-Za-z0-9.+~^_]*?)(?:-([A-Za-z0-9.+~^_]+))?", text.strip())
        if not match:
            raise RepositoryError(f"{text!r} is not an RPM version ([epoch:]version[-release])")
        return cls(match[2], int(match[1] or 0), match[3] or "")


@dataclass(frozen=True)
class Repomd:
    """The repository's index of indexes: where the primary index is and its checksum."""

    primary_href: str
    primary_checksum: str
    etag: str | None
    last_modified: str | None


def _get(
    url: str, timeout: float, headers: dict[str, str] | None = None
) -> tuple[bytes | None, dict[str, str]]:
    """GET `url`; (None, headers) for 304 Not Modified."""
    request = urllib.request.Request(
        url, headers={"User-Agent": "credex-orchestration", "Accept-Encoding": "identity", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read(), dict(response.headers.items())
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return None, dict(error.headers.items()) if error.headers else {}
        raise RepositoryError(f"GET {url}: HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise RepositoryError(f"GET {url}: unreachable ({reason})") from None


def _xml(data: bytes, url: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise RepositoryError(f"{url}: not valid XML ({error})") from None


def fetch_repomd(
    base_url: str,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> Repomd | None:
    """`repodata/repomd.xml`, conditionally: None when the server answers 304 Not Modified."""
    url = f"{base_url.rstrip('/')}/repodata/repomd.xml"
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    body, response_headers = _get(url, timeout, headers)
    if body is None:
        return None
    root = _xml(body, url)
    data = root.find("./{*}data[@type='primary']")
    location = data.find("./{*}location") if data is not None else None
    if location is None or not location.get("href"):
        raise RepositoryError(f"{url}: names no primary index (<data type='primary'><location href=...>)")
    checksum = data.find("./{*}checksum")
    headers_lower = {key.lower(): value for key, value in response_headers.items()}
    return Repomd(
        primary_href=location.get("href", ""),
        primary_checksum=(checksum.text or "").strip() if checksum is not None else location.get("href", ""),
        etag=headers_lower.get("etag"),
        last_modified=headers_lower.get("last-modified"),
    )


def parse_primary(data: bytes, url: str = "primary.xml") -> dict[str, list[RpmVersion]]:
    """Versions per package name of a primary index; a package without name or `ver` is an error."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except OSError as error:
            raise RepositoryError(f"{url}: corrupt gzip body ({error})") from None
    versions: dict[str, list[RpmVersion]] = {}
    for position, entry in enumerate(_xml(data, url).findall("./{*}package"), start=1):
        name = entry.find("./{*}name")
        version = entry.find("./{*}version")
        if name is None or not (name.text or "").strip() or version is None or not version.get("ver"):
            raise RepositoryError(f"{url}: package #{position} has no <name> or <version ver=...>")
        try:
            epoch = int(version.get("epoch") or 0)
        except ValueError:
            raise RepositoryError(
                f"{url}: package {name.text!r} (#{position}) has epoch {version.get('epoch')!r}"
            ) from None
        versions.setdefault(name.text.strip(), []).append(
            RpmVersion(version.get("ver", ""), epoch, version.get("rel") or "")
        )
    if not versions:
        raise RepositoryError(f"{url}: no <package> entries")
    return versions


def fetch_primary(
    base_url: str, repomd: Repomd, timeout: float = DEFAULT_TIMEOUT_SECONDS
) -> dict[str, list[RpmVersion]]:
    url = f"{base_url.rstrip('/')}/{repomd.primary_href.lstrip('/')}"
    body, _ = _get(url, timeout)
    return parse_primary(body or b"", url)


def available_versions(
    base_url: str, timeout: float = DEFAULT_TIMEOUT_SECONDS
) -> dict[str, list[RpmVersion]]:
    """Every package's versions, unconditionally (two requests)."""
    repomd = fetch_repomd(base_url, timeout=timeout)
    assert repomd is not None  # no validators sent: never 304
    return fetch_primary(base_url, repomd, timeout)
