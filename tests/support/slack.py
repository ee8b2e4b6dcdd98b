"""A real HTTP server on loopback standing in for Slack's Web API: it records what the client posts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

from credex_orchestration.rehearsal.loopback import LoopbackHTTPServer


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: dict


class SlackApiStandIn(LoopbackHTTPServer):
    """`chat.postMessage` and friends answer {"ok": true}; every request is kept in `requests`."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    body = json.loads(raw or "{}")
                else:
                    body = {key: values[0] for key, values in parse_qs(raw).items()}
                stand_in.requests.append(Request("POST", self.path, dict(self.headers), body))
                answer = json.dumps({"ok": True, "channel": "C0123", "ts": "1700000000.000100"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(Handler)
        self.base_url = f"http://127.0.0.1:{self.port}/api/"

    def messages(self) -> list[Request]:
        return [request for request in self.requests if request.path.endswith("/chat.postMessage")]
