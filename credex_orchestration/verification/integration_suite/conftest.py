"""The API under test comes from CREDEX_BASE_URL; every request has a timeout (CREDEX_REQUEST_TIMEOUT).

The app's rate limiter may answer 429: that is not the app failing. A request waits for the 429's
Retry-After while the suite's allowance (CREDEX_RATE_LIMIT_WAIT seconds) lasts, else its test is skipped
as "inconclusive: rate limited". The last answer's rate-limit headers go to CREDEX_RATE_LIMIT_FILE, so
the check's request budget knows what the suite left.
"""

from __future__ import annotations

import http.client
import json
import os
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import pytest

KEPT = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "Retry-After")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "read_only: creates no data; runs in every environment")
    config.addinivalue_line("markers", "creates_data: writes data; never runs in production")


@dataclass
class Answer:
    status: int
    body: str
    seconds: float
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)

    def __str__(self) -> str:
        """What a failed assertion shows: the status and the start of the body."""
        return f"HTTP {self.status} {self.body[:200]}"

    @property
    def message(self) -> str | None:
        """The `message` of credex-core's error bodies (validateRequest, the auth and error handlers)."""
        try:
            document = self.json()
        except ValueError:
            return None
        return document.get("message") if isinstance(document, dict) else None


class Api:
    """A tiny client: one connection per request, so each answer is measured on its own."""

    def __init__(self, base_url: str, timeout: float, wait_seconds: float, record: str | None) -> None:
        self.base = urllib.parse.urlsplit(base_url)
        self.prefix = self.base.path.rstrip("/")
        self.timeout = timeout
        self.wait_left = wait_seconds
        self.record = record
        self.sent = 0
        self.rate_limited = 0

    def _once(self, method: str, path: str, body: Any, headers: dict[str, str] | None) -> Answer:
        cls = http.client.HTTPSConnection if self.base.scheme == "https" else http.client.HTTPConnection
        connection = cls(self.base.hostname, self.base.port, timeout=self.timeout)
        payload = body if isinstance(body, str | bytes) or body is None else json.dumps(body)
        sent = {"Content-Type": "application/json", **(headers or {})}
        started = time.perf_counter()
        try:
            connection.request(method, self.prefix + path, body=payload, headers=sent)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            kept = {name: value for name in KEPT if (value := response.getheader(name)) is not None}
            return Answer(response.status, text, time.perf_counter() - started, kept)
        finally:
            connection.close()

    def _note(self, answer: Answer) -> None:
        self.sent += 1
        self.rate_limited += answer.status == 429
        if self.record:
            state = {"status": answer.status, "headers": answer.headers, "sent": self.sent}
            with open(self.record, "w") as handle:
                json.dump({**state, "rate_limited": self.rate_limited}, handle)

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Answer:
        for _ in range(2):
            answer = self._once(method, path, body, headers)
            self._note(answer)
            if answer.status != 429:
                return answer
            wait = float(answer.headers.get("Retry-After") or 60)
            if wait > self.wait_left:
                pytest.skip(
                    f"inconclusive: rate limited: HTTP 429 on {method} {path} (Retry-After {wait:g}s, over the "
                    f"{self.wait_left:g}s the suite may still wait)"
                )
            time.sleep(wait)
            self.wait_left -= wait
        pytest.skip(f"inconclusive: rate limited: HTTP 429 on {method} {path} after waiting its Retry-After")


@pytest.fixture(scope="session")
def api() -> Api:
    base_url = os.environ.get("CREDEX_BASE_URL")
    if not base_url:
        pytest.exit("CREDEX_BASE_URL is not set: the suite needs the environment's base URL", returncode=4)
    return Api(
        base_url,
        float(os.environ.get("CREDEX_REQUEST_TIMEOUT", "10")),
        float(os.environ.get("CREDEX_RATE_LIMIT_WAIT", "0")),
        os.environ.get("CREDEX_RATE_LIMIT_FILE"),
    )
