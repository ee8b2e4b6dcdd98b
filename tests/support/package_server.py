"""A real HTTP server on loopback serving a Debian `Packages` index with ETag / Last-Modified (304s)."""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LAST_MODIFIED = "Sat, 21 Nov 2026 10:00:00 GMT"


def packages_index(*entries: tuple[str, str]) -> str:
    """A `Packages` body from (package, version) pairs, with the fields apt writes."""
    stanzas = [
        f"Package: {name}\nVersion: {version}\nArchitecture: all\nMaintainer: Neo4j <admins@neo4j.com>\n"
        f"Description: Neo4j graph database\n Multi-line description continues here.\n"
        for name, version in entries
    ]
    return "\n".join(stanzas)


class PackageServer:
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

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.path}"

    def __enter__(self) -> PackageServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
