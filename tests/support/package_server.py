"""Real HTTP servers on loopback: a Debian `Packages` index, and Neo4j's RPM repository metadata (ETags, 304s)."""

from __future__ import annotations

import gzip
import hashlib
from http.server import BaseHTTPRequestHandler

from credex_orchestration.rehearsal.loopback import LoopbackHTTPServer

LAST_MODIFIED = "Sat, 21 Nov 2026 10:00:00 GMT"


def packages_index(*entries: tuple[str, str]) -> str:
    """A `Packages` body from (package, version) pairs, with the fields apt writes."""
    stanzas = [
        f"Package: {name}\nVersion: {version}\nArchitecture: all\nMaintainer: Neo4j <admins@neo4j.com>\n"
        f"Description: Neo4j graph database\n Multi-line description continues here.\n"
        for name, version in entries
    ]
    return "\n".join(stanzas)


class PackageServer(LoopbackHTTPServer):
    """Serves `body` at /dists/stable/5/binary-amd64/Packages; `requests` / `not_modified` count answers."""

    path = "/dists/stable/5/binary-amd64/Packages"

    def __init__(self, body: str = "") -> None:
        self.body = body
        self.status: int | None = None  # force an error status
        self.requests = 0
        self.not_modified = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                server.requests += 1
                if self.path != server.path:
                    self.send_error(404)
                    return
                if server.status:
                    self.send_error(server.status)
                    return
                data = server.body.encode()
                etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    server.not_modified += 1
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", LAST_MODIFIED)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"


def primary_xml(packages: dict[str, list[str]]) -> bytes:
    """A primary index as createrepo writes it (Neo4j's: `neo4j-5.26.12-1.noarch`)."""
    entries = "".join(
        f'<package type="rpm"><name>{name}</name><arch>noarch</arch>'
        f'<version epoch="0" ver="{version}" rel="1"/><summary>Neo4j</summary></package>'
        for name, versions in packages.items()
        for version in versions
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="http://linux.duke.edu/metadata/common" '
        f'xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="{entries.count("<package ")}">{entries}'
        "</metadata>"
    ).encode()


class RpmRepositoryServer(LoopbackHTTPServer):
    """Neo4j's RPM repository as dnf reads it, on loopback: `<base>/repodata/repomd.xml` (ETag,
    Last-Modified, 304 on If-None-Match) naming `repodata/<sha256>-primary.xml.gz` with its checksum.

    `packages` (name -> versions) can change between requests; `raw_primary` replaces the primary body
    (malformed indexes); `status` forces an error. Counters: `repomd_requests`, `not_modified`,
    `primary_requests`.
    """

    def __init__(self, packages: dict[str, list[str]]) -> None:
        self.packages = {name: list(versions) for name, versions in packages.items()}
        self.raw_primary: bytes | None = None
        self.status: int | None = None
        self.repomd_requests = self.not_modified = self.primary_requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                if server.status:
                    self.send_error(server.status)
                    return
                primary = server.primary()
                checksum = hashlib.sha256(primary).hexdigest()
                if self.path == "/stable/repodata/repomd.xml":
                    server.repomd_requests += 1
                    body = server.repomd(checksum)
                    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                    if self.headers.get("If-None-Match") == etag:
                        server.not_modified += 1
                        self.send_response(304)
                        self.send_header("ETag", etag)
                        self.end_headers()
                        return
                    self._send(body, "text/xml", etag)
                elif self.path == f"/stable/repodata/{checksum}-primary.xml.gz":
                    server.primary_requests += 1
                    self._send(primary, "application/gzip")
                else:
                    self.send_error(404)

            def _send(self, body: bytes, kind: str, etag: str | None = None) -> None:
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                if etag:
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", LAST_MODIFIED)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(Handler)

    def primary(self) -> bytes:
        return gzip.compress(self.raw_primary or primary_xml(self.packages), mtime=0)

    @staticmethod
    def repomd(checksum: str) -> bytes:
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<repomd xmlns="http://linux.duke.edu/metadata/repo">'
            f'<revision>1</revision><data type="primary"><checksum type="sha256">{checksum}</checksum>'
            f'<location href="repodata/{checksum}-primary.xml.gz"/></data></repomd>'
        ).encode()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/stable"
