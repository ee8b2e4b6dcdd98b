"""An HTTP proxy in front of moto that injects AWS's own faults: throttling, and a state backend that refuses.

It stands in for AWS under load or in a partial outage. Its answers follow the real contract of each
protocol, so the real retry logic (botocore's, and the AWS SDK for Go inside Terraform) decides what to do:
- JSON protocol (ECS, ECR, SSM, Secrets Manager: an `X-Amz-Target` header): HTTP 400
  `{"__type": "ThrottlingException"}`;
- query protocol (EC2, STS, ELB: form-encoded POST): HTTP 400 `<Code>Throttling</Code>` (EC2 uses
  RequestLimitExceeded; both are retryable throttling codes for the SDKs);
- S3 (everything else): HTTP 503 `<Code>SlowDown</Code>`.
`refuse_state_writes` answers a PUT of a Terraform state object (a key ending in `terraform.tfstate`) with
403 AccessDenied, which no SDK retries: the backend is gone for writing while everything else still works.
"""

from __future__ import annotations

import http.client
import random
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from credex_orchestration.rehearsal.loopback import LoopbackHTTPServer

_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "te", "trailer"}


class FaultProxy(LoopbackHTTPServer):
    def __init__(self, upstream: str, throttle: float = 0.0, seed: int = 0) -> None:
        target = urlsplit(upstream)
        self.upstream = (target.hostname or "127.0.0.1", target.port or 80)
        self.throttle = throttle
        self.refuse_state_writes = False
        self.counts: Counter[str] = Counter()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fault = proxy._fault(self.command, self.path, self.headers)
                if fault is not None:
                    status, content_type, payload = fault
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                connection = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in _HOP and key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                connection.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

        super().__init__(Handler)
        self.endpoint_url = f"http://127.0.0.1:{self.port}"

    def _fault(self, method: str, path: str, headers) -> tuple[int, str, bytes] | None:
        with self._lock:
            self.counts["requests"] += 1
            if (
                self.refuse_state_writes
                and method == "PUT"
                and path.split("?")[0].endswith("terraform.tfstate")
            ):
                self.counts["refused_state_writes"] += 1
                return (
                    403,
                    "application/xml",
                    (
                        b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code>"
                        b"<Message>Access Denied</Message></Error>"
                    ),
                )
            if not self.throttle or self._random.random() >= self.throttle:
                return None
            self.counts["throttled"] += 1
        if headers.get("X-Amz-Target"):
            return (
                400,
                "application/x-amz-json-1.1",
                (b'{"__type": "ThrottlingException", "message": "Rate exceeded"}'),
            )
        if method == "POST" and "x-www-form-urlencoded" in (headers.get("Content-Type") or ""):
            return (
                400,
                "text/xml",
                (
                    b"<Response><Errors><Error><Code>Throttling</Code><Message>Rate exceeded</Message>"
                    b"</Error></Errors><RequestID>fault-proxy</RequestID></Response>"
                ),
            )
        return (
            503,
            "application/xml",
            (
                b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>SlowDown</Code>"
                b"<Message>Please reduce your request rate.</Message></Error>"
            ),
        )
