"""The API under test comes from CREDEX_BASE_URL; every request has a timeout (CREDEX_REQUEST_TIMEOUT)."""

from __future__ import annotations

import http.client
import json
import os
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "read_only: creates no data; runs in every environment")
    config.addinivalue_line("markers", "creates_data: writes data; never runs in production")


@dataclass
class Answer:
    status: int
    body: str
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)


class Api:
    """A tiny client: one connection per request, so each answer is measured on its own."""

    def __init__(self, base_url: str, timeout: float) -> None:
        self.base = urllib.parse.urlsplit(base_url)
        self.prefix = self.base.path.rstrip("/")
        self.timeout = timeout

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Answer:
        cls = http.client.HTTPSConnection if self.base.scheme == "https" else http.client.HTTPConnection
        connection = cls(self.base.hostname, self.base.port, timeout=self.timeout)
        payload = body if isinstance(body, str | bytes) or body is None else json.dumps(body)
        sent = {"Content-Type": "application/json", **(headers or {})}
        started = time.perf_counter()
        try:
            connection.request(method, self.prefix + path, body=payload, headers=sent)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            return Answer(response.status, text, time.perf_counter() - started)
        finally:
            connection.close()


@pytest.fixture(scope="session")
def api() -> Api:
    base_url = os.environ.get("CREDEX_BASE_URL")
    if not base_url:
        pytest.exit("CREDEX_BASE_URL is not set: the suite needs the environment's base URL", returncode=4)
    return Api(base_url, float(os.environ.get("CREDEX_REQUEST_TIMEOUT", "10")))
