"""HTTP measurement: one timed request, and a bounded load with latency percentiles.

Library layer: knows nothing of Dagster or credex. Latency is measured around the whole exchange (connect,
send, first byte, body) with a monotonic clock, so a server with a fixed delay reports that delay.
"""

from __future__ import annotations

import http.client
import math
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

_BODY_LIMIT = 64 * 1024  # a health answer is tiny; never read an unbounded body into memory


@dataclass(frozen=True)
class Probe:
    """One request's outcome: a status and body, or the error that prevented one."""

    url: str
    status: int | None
    body: str
    latency_ms: float
    error: str | None = None
    retry_after: str | None = None

    @property
    def answered(self) -> bool:
        return self.status is not None


def _describe(error: BaseException) -> str:
    if isinstance(error, socket.gaierror):
        return f"DNS lookup failed: {error.strerror or error}"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, TimeoutError | socket.timeout):
        return "timed out"
    return f"{type(error).__name__}: {error}"


def probe(url: str, timeout_seconds: float, method: str = "GET") -> Probe:
    """One request on a fresh connection; never raises for network errors."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Probe(url, None, "", 0.0, error=f"not an http(s) URL: {url!r}")
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    connection = connection_class(parts.hostname, parts.port, timeout=timeout_seconds)
    started = time.perf_counter()
    try:
        connection.request(method, path, headers={"Accept": "application/json", "Connection": "close"})
        response = connection.getresponse()
        body = response.read(_BODY_LIMIT).decode("utf-8", "replace")
        latency = (time.perf_counter() - started) * 1000
        return Probe(url, response.status, body, latency, retry_after=response.getheader("Retry-After"))
    except (OSError, http.client.HTTPException) as error:
        return Probe(url, None, "", (time.perf_counter() - started) * 1000, error=_describe(error))
    finally:
        connection.close()


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation: every reported value was observed)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass
class LoadReport:
    """What a bounded load measured. 429 answers are the rate limiter working: counted, not errors."""

    requested: int
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    rate_limited: int = 0
    elapsed_seconds: float = 0.0

    @property
    def sent(self) -> int:
        return len(self.latencies_ms) + sum(self.errors.values()) + self.rate_limited

    @property
    def measured(self) -> int:
        """Requests that count for latency and error rate (sent minus rate-limited)."""
        return len(self.latencies_ms) + sum(self.errors.values())

    @property
    def error_rate(self) -> float:
        return sum(self.errors.values()) / self.measured if self.measured else math.nan

    @property
    def throughput_rps(self) -> float:
        return len(self.latencies_ms) / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0

    def p(self, fraction: float) -> float:
        return percentile(self.latencies_ms, fraction)


def load(
    url: str,
    *,
    requests: int,
    concurrency: int,
    duration_seconds: float,
    timeout_seconds: float,
    accept: Callable[[Probe], bool] = lambda p: p.status == 200,
) -> LoadReport:
    """Send at most `requests` requests from `concurrency` workers, stopping at `duration_seconds`.

    Successful answers (per `accept`) give latencies; others count as errors by reason; 429 counts as
    rate-limited. Workers never start a request after the deadline, so the load is bounded both ways.
    """
    report = LoadReport(requested=requests)
    lock = threading.Lock()
    remaining = [requests]
    deadline = time.monotonic() + duration_seconds

    def worker() -> None:
        while True:
            with lock:
                if remaining[0] <= 0 or time.monotonic() >= deadline:
                    return
                remaining[0] -= 1
            result = probe(url, min(timeout_seconds, max(0.1, deadline - time.monotonic())))
            with lock:
                if result.status == 429:
                    report.rate_limited += 1
                elif result.answered and accept(result):
                    report.latencies_ms.append(result.latency_ms)
                else:
                    reason = result.error or f"HTTP {result.status}"
                    report.errors[reason] = report.errors.get(reason, 0) + 1

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="load") as pool:
        for _ in range(concurrency):
            pool.submit(worker)
    report.elapsed_seconds = time.monotonic() - started
    return report
