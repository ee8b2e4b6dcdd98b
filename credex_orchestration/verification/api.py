"""Checks 4 and 6: the API answers healthy, and a bounded load stays inside the environment's thresholds.

The health contract is the app's own (`{"status":"healthy"}`, not the old system's `{status:"OK"}`:
mistake 10). The benchmark stays inside the API's rate limiter (50 requests a minute per source address):
429 answers are the limiter working, so they are counted apart and never as server errors.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable

from ..environments import BenchmarkSettings, HealthSettings
from ..lib.http_probe import Probe, load, probe
from .outcome import Outcome

HEALTHY_BODY = {"status": "healthy"}
Log = Callable[[str], None]


def join(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def _is_healthy_body(body: str) -> bool:
    try:
        return json.loads(body) == HEALTHY_BODY
    except ValueError:
        return False


def judge(answer: Probe, budget_ms: float) -> str | None:
    """Why one health answer is not good enough, or None."""
    if not answer.answered:
        return f"no answer: {answer.error}"
    if answer.status == 429:
        return f"rate limited: HTTP 429 (Retry-After {answer.retry_after or 'not given'})"
    if answer.status != 200:
        return f"HTTP {answer.status}, expected 200"
    if not _is_healthy_body(answer.body):
        return f"body {answer.body[:200]!r}, expected {json.dumps(HEALTHY_BODY)}"
    if answer.latency_ms > budget_ms:
        return f"answered in {answer.latency_ms:.0f} ms, over the {budget_ms:g} ms budget"
    return None


def health(base_url: str, settings: HealthSettings, timeout_seconds: float, log: Log = print) -> Outcome:
    """`settings.consecutive` healthy answers in a row, each within the latency budget; stops at the first bad one."""
    url = join(base_url, settings.path)
    # Waiting longer than the budget only delays the verdict; keep a margin so slowness is measured, not cut.
    timeout = min(timeout_seconds, settings.latency_budget_ms / 1000 * 2 + 1)
    answers = []
    for attempt in range(1, settings.consecutive + 1):
        answer = probe(url, timeout)
        answers.append(
            {"status": answer.status, "latency_ms": round(answer.latency_ms, 1), "error": answer.error or ""}
        )
        problem = judge(answer, settings.latency_budget_ms)
        log(f"GET {url} #{attempt}: {problem or f'healthy in {answer.latency_ms:.0f} ms'}")
        if problem:
            return Outcome.fail(
                f"{url} answer {attempt} of {settings.consecutive}: {problem}",
                url=url,
                consecutive_healthy=attempt - 1,
                required=settings.consecutive,
                latency_budget_ms=settings.latency_budget_ms,
                answers=answers,
            )
    return Outcome.ok(
        f"{url} healthy {settings.consecutive} times in a row",
        url=url,
        consecutive_healthy=settings.consecutive,
        required=settings.consecutive,
        latency_budget_ms=settings.latency_budget_ms,
        max_latency_ms=max(a["latency_ms"] for a in answers),
        answers=answers,
    )


def _round(value: float) -> float:
    """Two decimals; a missing figure stays NaN, so the metadata keeps its float type across runs."""
    return value if math.isnan(value) else round(value, 2)


def benchmark(
    base_url: str, settings: BenchmarkSettings, timeout_seconds: float, log: Log = print
) -> Outcome:
    """A bounded load against `settings.path`; fails above the latency/error thresholds or below throughput."""
    url = join(base_url, settings.path)
    report = load(
        url,
        requests=settings.requests,
        concurrency=settings.concurrency,
        duration_seconds=settings.duration_seconds,
        timeout_seconds=timeout_seconds,
    )
    measured = {
        "url": url,
        "requested": settings.requests,
        "sent": report.sent,
        "measured": report.measured,
        "rate_limited": report.rate_limited,
        "concurrency": settings.concurrency,
        "elapsed_seconds": round(report.elapsed_seconds, 3),
        "p50_ms": _round(report.p(0.50)),
        "p95_ms": _round(report.p(0.95)),
        "p99_ms": _round(report.p(0.99)),
        "throughput_rps": round(report.throughput_rps, 2),
        "error_rate": _round(report.error_rate),
        "errors": report.errors,
        "thresholds": settings.model_dump(),
    }
    log(
        f"benchmark {url}: {report.sent} sent, {report.rate_limited} rate-limited, p50 {measured['p50_ms']} ms, "
        f"p95 {measured['p95_ms']} ms, p99 {measured['p99_ms']} ms, {measured['throughput_rps']} req/s, "
        f"error rate {measured['error_rate']}"
    )
    problems = []
    if report.measured < settings.min_measured_fraction * settings.requests:
        cause = (
            f"{report.rate_limited} answered 429 (rate limiter)"
            if report.rate_limited
            else "the duration bound ended it"
        )
        problems.append(f"only {report.measured} of {settings.requests} requests measured: {cause}")
    if report.measured and report.error_rate > settings.max_error_rate:
        problems.append(
            f"error rate {report.error_rate:.2%} above {settings.max_error_rate:.2%} ({report.errors})"
        )
    for name, fraction, limit in (
        ("p50", 0.50, settings.max_p50_ms),
        ("p95", 0.95, settings.max_p95_ms),
        ("p99", 0.99, settings.max_p99_ms),
    ):
        value = report.p(fraction)
        if not math.isnan(value) and value > limit:
            problems.append(f"{name} {value:.0f} ms above {limit:g} ms")
    if report.latencies_ms and report.throughput_rps < settings.min_throughput_rps:
        problems.append(f"throughput {report.throughput_rps:.2f} req/s below {settings.min_throughput_rps:g}")
    if not report.latencies_ms:
        problems.append("no successful answer to measure")
    if problems:
        return Outcome.fail("; ".join(problems), **measured)
    return Outcome.ok(
        f"p50 {measured['p50_ms']} ms, p95 {measured['p95_ms']} ms, p99 {measured['p99_ms']} ms, "
        f"{measured['throughput_rps']} req/s",
        **measured,
    )
