"""Neo4j's Debian repository as the source of truth for "the newest version": fetch, parse, order, track.

The AMI installs from this repository, so its `Packages` index says exactly what a build can install
(the old system scraped the website). Versions carry an epoch (`1:5.26.12`); pre-releases carry `~` or
letters and are ignored. Neo4j runs two lines at once (the 5.26 LTS line and calendar versions such as
`2025.01.0`), so "newest" is always asked for within a track.
"""

from __future__ import annotations

import functools
import gzip
import re
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field

_VERSION = re.compile(
    r"^(?:(?P<epoch>\d+):)?(?P<upstream>[0-9][A-Za-z0-9.+~-]*?)(?:-(?P<revision>[A-Za-z0-9.+~]+))?$"
)
_RELEASE = re.compile(r"^\d+(\.\d+)+$")
CALENDAR_TRACK = "calendar"
DEFAULT_TIMEOUT_SECONDS = 30


class PackageIndexError(ValueError):
    """The index could not be fetched or read: the message names the URL and what is wrong where."""


class VersionError(PackageIndexError):
    """A version string that is not a Debian version."""


def _order(char: str) -> int:
    """dpkg's character order: `~` sorts before everything, even the end of the string."""
    if char == "~":
        return -1
    if char.isdigit():
        return 0
    if char.isalpha():
        return ord(char)
    return ord(char) + 256


def _compare_part(left: str, right: str) -> int:
    """dpkg's verrevcmp: alternate non-digit runs (by `_order`) and digit runs (numerically)."""
    i = j = 0
    while i < len(left) or j < len(right):
        first_diff = 0
        while (i < len(left) and not left[i].isdigit()) or (j < len(right) and not right[j].isdigit()):
            lc = _order(left[i]) if i < len(left) else 0
            rc = _order(right[j]) if j < len(right) else 0
            if lc != rc:
                return lc - rc
            i += 1
            j += 1
        while i < len(left) and left[i] == "0":
            i += 1
        while j < len(right) and right[j] == "0":
            j += 1
        while i < len(left) and left[i].isdigit() and j < len(right) and right[j].isdigit():
            if not first_diff:
                first_diff = ord(left[i]) - ord(right[j])
            i += 1
            j += 1
        if i < len(left) and left[i].isdigit():
            return 1
        if j < len(right) and right[j].isdigit():
            return -1
        if first_diff:
            return first_diff
    return 0


@functools.total_ordering
@dataclass(frozen=True)
class DebianVersion:
    """`[epoch:]upstream[-revision]`, ordered as dpkg orders it."""

    epoch: int
    upstream: str
    revision: str = ""
    text: str = field(default="", compare=False)

    @classmethod
    def parse(cls, text: str) -> DebianVersion:
        match = _VERSION.match(text.strip())
        if not match:
            raise VersionError(f"{text!r} is not a Debian version ([epoch:]upstream[-revision])")
        return cls(int(match["epoch"] or 0), match["upstream"], match["revision"] or "", text.strip())

    @property
    def is_release(self) -> bool:
        """Digits and dots only (upstream and revision): `~rc1`, `-alpha01`, `drop` builds are pre-releases."""
        return bool(_RELEASE.match(self.upstream)) and bool(re.fullmatch(r"[\d.]*", self.revision))

    @property
    def numbers(self) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", self.upstream.split("~")[0]))

    def _key_cmp(self, other: DebianVersion) -> int:
        if self.epoch != other.epoch:
            return self.epoch - other.epoch
        return _compare_part(self.upstream, other.upstream) or _compare_part(self.revision, other.revision)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DebianVersion) and self._key_cmp(other) == 0

    def __lt__(self, other: DebianVersion) -> bool:
        return self._key_cmp(other) < 0

    def __hash__(self) -> int:
        return hash((self.epoch, self.numbers))

    def __str__(self) -> str:
        return self.text or f"{f'{self.epoch}:' if self.epoch else ''}{self.upstream}" + (
            f"-{self.revision}" if self.revision else ""
        )


def on_track(version: DebianVersion, track: str) -> bool:
    """`5.26` -> 5.26.x; `2025` -> 2025.x; `calendar` -> calendar versions (year >= 2000); `` -> all."""
    track = track.strip()
    if not track:
        return True
    if track == CALENDAR_TRACK:
        return bool(version.numbers) and version.numbers[0] >= 2000
    wanted = tuple(int(part) for part in track.split("."))
    return version.numbers[: len(wanted)] == wanted


def validate_track(track: str) -> str:
    if track.strip() in ("", CALENDAR_TRACK) or re.fullmatch(r"\d+(\.\d+)*", track.strip()):
        return track.strip()
    raise PackageIndexError(f"track {track!r} is not a version prefix (e.g. 5.26, 2025), 'calendar' or empty")


def parse_packages(text: str, source: str = "Packages") -> dict[str, list[DebianVersion]]:
    """Versions per package name from a Debian `Packages` index; any malformed stanza is an error."""
    versions: dict[str, list[DebianVersion]] = {}
    line_number = 0
    for stanza in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        fields: dict[str, str] = {}
        start = line_number + 1
        for line in stanza.split("\n"):
            line_number += 1
            if not line.strip() or line.startswith((" ", "\t")):
                continue
            name, colon, value = line.partition(":")
            if not colon or not name or " " in name:
                raise PackageIndexError(
                    f"{source}, line {line_number}: expected 'Field: value', got {line[:80]!r}"
                )
            fields[name.lower()] = value.strip()
        line_number += 1  # the blank separator
        if not fields:
            continue
        if "package" not in fields or "version" not in fields:
            raise PackageIndexError(
                f"{source}, stanza at line {start}: a package stanza needs Package and Version"
            )
        try:
            version = DebianVersion.parse(fields["version"])
        except VersionError as error:
            raise VersionError(f"{source}, package {fields['package']!r} (line {start}): {error}") from None
        versions.setdefault(fields["package"], []).append(version)
    if not versions:
        raise PackageIndexError(f"{source}: no package stanzas found")
    return versions


def newest(versions: Iterable[DebianVersion], track: str) -> DebianVersion | None:
    """The newest release (pre-releases ignored) on `track`, or None."""
    candidates = [version for version in versions if version.is_release and on_track(version, track)]
    return max(candidates, default=None)


@dataclass(frozen=True)
class IndexResponse:
    """One conditional GET: `body` is None when the server answered 304 Not Modified."""

    url: str
    body: str | None
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        return self.body is None


def fetch_index(
    url: str,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> IndexResponse:
    """GET the index with If-None-Match / If-Modified-Since, so an unchanged index costs no body."""
    headers = {"User-Agent": "credex-orchestration", "Accept-Encoding": "identity"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            new_etag, new_modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return IndexResponse(url, None, etag, last_modified)
        raise PackageIndexError(f"GET {url}: HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise PackageIndexError(f"GET {url}: unreachable ({reason})") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except OSError as error:
            raise PackageIndexError(f"GET {url}: corrupt gzip body ({error})") from None
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PackageIndexError(f"GET {url}: body is not UTF-8 text (byte {error.start})") from None
    return IndexResponse(url, body, new_etag, new_modified)
