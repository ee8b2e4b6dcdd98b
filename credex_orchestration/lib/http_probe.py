"""HTTP measurement: one timed request, and a load at a steady rate with latency percentiles.

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
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

_BODY_LIMIT = 64 * 1024  # the answers probed are small; never read an unbounded body into memory
# Answer headers worth keeping: what a rate limiter says about the caller's budget.
KEPT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "Retry-After")


@dataclass(frozen=True)
class Probe:
    """One request's outcome: a status, body and kept headers, or the error that prevented one."""

    url: str
    status: int | None
    body: str
    latency_ms: float
    error: str | None = None
    retry_after: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    method: str = "GET"

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


def probe(
    url: str,
    timeout_seconds: float,
    method: str = "GET",
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    source_address: str | None = None,
) -> Probe:
    """One request on a fresh connection; never raises for network errors.

    `source_address` binds the client side (e.g. 127.0.0.2 on loopback: another caller to a per-address
    rate limiter).
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Probe(url, None, "", 0.0, error=f"not an http(s) URL: {url!r}", method=method)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    source = (source_address, 0) if source_address else None
    connection = connection_class(parts.hostname, parts.port, timeout=timeout_seconds, source_address=source)
    sent = {"Accept": "application/json", "Connection": "close", **(headers or {})}
    if body is not None:
        sent.setdefault("Content-Type", "application/json")
    started = time.perf_counter()
    try:
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        text = response.read(_BODY_LIMIT).decode("utf-8", "replace")
        latency = (time.perf_counter() - started) * 1000
        kept = {name: value for name in KEPT_HEADERS if (value := response.getheader(name)) is not None}
        return Probe(
            url,
            response.status,
            text,
            latency,
            retry_after=kept.get("Retry-After"),
            headers=kept,
            method=method,
        )
    except (OSError, http.client.HTTPException) as error:
        return Probe(
            url, None, "", (time.perf_counter() - started) * 1000, error=_describe(error), method=method
        )
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
    """What a load measured. 429 answers are the rate limiter working: counted, not errors.

    `starts` are the seconds after the load began at which each request was sent, in send order, so a
    caller can show the load was steady (and `last` is the answer to the last one sent).
    """

    requested: int
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    rate_limited: int = 0
    elapsed_seconds: float = 0.0
    starts: list[float] = field(default_factory=list)
    last: Probe | None = None

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

    @property
    def achieved_rate_rps(self) -> float:
        """Requests sent per second between the first and the last send (nan below two sends)."""
        if len(self.starts) < 2 or self.starts[-1] <= self.starts[0]:
            return math.nan
        return (len(self.starts) - 1) / (self.starts[-1] - self.starts[0])

    @property
    def min_gap_seconds(self) -> float:
        """The shortest time between two consecutive sends: a burst shows here (nan below two sends)."""
        gaps = [b - a for a, b in zip(self.starts, self.starts[1:], strict=False)]
        return min(gaps) if gaps else math.nan

    def p(self, fraction: float) -> float:
        return percentile(self.latencies_ms, fraction)


def steady_load(
    url: str,
    *,
    requests: int,
    rate_per_second: float,
    concurrency: int,
    duration_seconds: float,
    timeout_seconds: float,
    accept: Callable[[Probe], bool] = lambda p: p.status == 200,
    stop_on_429: bool = True,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> LoadReport:
    """Send at most `requests` requests, request i at `i / rate_per_second` after the start (open loop).

    A request never starts before its slot, so the load is never a burst; up to `concurrency` may be in
    flight when answers are slower than the interval. No request starts after `duration_seconds`, and after
    a 429 no further one starts (`stop_on_429`): the limiter's answer is not the app's latency. Successful
    answers (per `accept`) give latencies; others count as errors by reason; 429s as rate-limited.
    """
    report = LoadReport(requested=requests)
    lock = threading.Lock()
    limited = threading.Event()
    started = clock()
    deadline = started + duration_seconds
    interval = 1.0 / rate_per_second
    last_index = [-1]

    def send(index: int) -> None:
        with lock:
            report.starts.append(clock() - started)
        result = probe(url, timeout_seconds)
        with lock:
            if index > last_index[0]:
                last_index[0], report.last = index, result
            if result.status == 429:
                report.rate_limited += 1
                limited.set()
            elif result.answered and accept(result):
                report.latencies_ms.append(result.latency_ms)
            else:
                reason = result.error or f"HTTP {result.status}"
                report.errors[reason] = report.errors.get(reason, 0) + 1

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="load") as pool:
        for index in range(requests):
            slot = started + index * interval
            if slot >= deadline:
                break
            if (wait := slot - clock()) > 0:
                sleep(wait)
            if stop_on_429 and limited.is_set():
                break
            pool.submit(send, index)
    report.starts.sort()
    report.elapsed_seconds = clock() - started
    return report
