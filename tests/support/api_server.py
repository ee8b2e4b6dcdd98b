"""A real HTTP server on loopback standing in for credex-core, with switchable bad behaviour.

It answers the API's documented contract (health, docs, CORS preflight, validation 400s, auth 401s, a
per-address rate limiter answering 429 with Retry-After) and can be told to misbehave: 500s, slow answers,
a wrong health body. `healthy_when` lets a test tie health to outside state (e.g. the ECS revision in moto).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ApiServer:
    def __init__(self) -> None:
        self.mode = "healthy"  # healthy | error500 | wrong_body
        self.delay_seconds = 0.0
        self.rate_limit: int | None = None  # requests per minute per address; None = off
        self.healthy_when: Callable[[], bool] | None = None
        self.requests: list[tuple[str, str]] = []
        self.members: dict[str, dict] = {}
        self._window: list[float] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> ApiServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _limited(self) -> bool:
        if self.rate_limit is None:
            return False
        with self._lock:
            now = time.monotonic()
            self._window = [t for t in self._window if now - t < 60]
            if len(self._window) >= self.rate_limit:
                return True
            self._window.append(now)
            return False

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: object = None, headers: dict[str, str] | None = None) -> None:
                data = (
                    b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
                )
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> object:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                return json.loads(raw) if raw else {}

            def _handle(self, method: str) -> None:
                server.requests.append((method, self.path))
                if method == "OPTIONS":
                    return self._send(204)
                if server._limited():
                    return self._send(429, {"message": "Too many requests"}, {"Retry-After": "60"})
                if server.delay_seconds:
                    time.sleep(server.delay_seconds)
                if server.mode == "error500" or (server.healthy_when and not server.healthy_when()):
                    return self._send(500, {"message": "Internal Server Error"})
                if method == "GET" and self.path == "/health":
                    body = {"status": "OK"} if server.mode == "wrong_body" else {"status": "healthy"}
                    return self._send(200, body)
                if method == "GET" and self.path == "/api-docs/":
                    return self._send(200, b"<html>Swagger UI</html>")
                if method == "POST" and self.path in ("/v1/login", "/v1/onboardMember", "/v1/offerCredex"):
                    try:
                        body = self._body()
                    except ValueError:
                        return self._send(400, {"message": "malformed JSON"})
                    return self._post(self.path, body)
                return self._send(401, {"message": "Unauthorized"})

            def _post(self, path: str, body: dict) -> None:
                if path == "/v1/onboardMember":
                    if not body.get("phone"):
                        return self._send(400, {"message": "phone required"})
                    member = {"memberID": str(uuid.uuid4()), "token": uuid.uuid4().hex}
                    server.members[body["phone"]] = member
                    return self._send(200, member)
                if path == "/v1/login":
                    member = server.members.get(body.get("phone", ""))
                    if not body:
                        return self._send(400, {"message": "phone required"})
                    return self._send(200, {"token": member["token"]}) if member else self._send(400, {})
                tokens = {m["token"] for m in server.members.values()}
                if self.headers.get("Authorization", "").removeprefix("Bearer ") not in tokens:
                    return self._send(401, {"message": "Unauthorized"})
                amount = body.get("InitialAmount", 0)
                return self._send(400 if amount <= 0 else 200, {"amount": amount})

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._handle("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._handle("POST")

            def do_OPTIONS(self) -> None:  # noqa: N802
                self._handle("OPTIONS")

        return Handler
