"""API health and the benchmark: the API answers healthy, and a steady load stays inside the thresholds.

The health contract is the app's own (`{"status":"healthy"}`, src/index.ts in credex-core; not the old
system's `{status:"OK"}`: mistake 10). Both spend the run's request budget (rate_limit.py): a 429 is the
app's limiter, never evidence that the app is unhealthy. The health check waits for its Retry-After within
its time budget, else ends inconclusive; the benchmark sends what the budget allows at a steady rate
(never a burst: a burst measures the limiter and the queue, not the app), and with too few answers for a
verdict for want of budget it is inconclusive too.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from ..environments import BenchmarkSettings, HealthSettings, RateLimitSettings
from ..lib.http_probe import Probe, probe, steady_load
from .outcome import Outcome
from .rate_limit import RequestBudget

HEALTHY_BODY = {"status": "healthy"}
MAX_429_RETRIES = 3  # a limiter that keeps answering 429 after its own Retry-After: stop asking
Log = Callable[[str], None]


def join(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def _is_healthy_body(body: str) -> bool:
    try:
        return json.loads(body) == HEALTHY_BODY
    except ValueError:
        return False


def judge(answer: Probe, budget_ms: float) -> str | None:
    """Why one health answer is not good enough, or None (a 429 is handled before: it judges nothing)."""
    if not answer.answered:
        return f"no answer: {answer.error}"
    if answer.status != 200:
        return f"HTTP {answer.status}, expected 200"
    if not _is_healthy_body(answer.body):
        return f"body {answer.body[:200]!r}, expected {json.dumps(HEALTHY_BODY)}"
    if answer.latency_ms > budget_ms:
        return f"answered in {answer.latency_ms:.0f} ms, over the {budget_ms:g} ms budget"
    return None


def health(
    base_url: str,
    settings: HealthSettings,
    timeout_seconds: float,
    log: Log = print,
    budget: RequestBudget | None = None,
) -> Outcome:
    """`settings.consecutive` healthy answers in a row, each within the latency budget; stops at the first bad one."""
    budget = budget or RequestBudget(RateLimitSettings())
    max_wait = budget.settings.max_wait_seconds
    url = join(base_url, settings.path)
    # Waiting longer than the budget only delays the verdict; keep a margin so slowness is measured, not cut.
    timeout = min(timeout_seconds, settings.latency_budget_ms / 1000 * 2 + 1)
    facts: dict[str, Any] = {
        "url": url,
        "required": settings.consecutive,
        "latency_budget_ms": settings.latency_budget_ms,
    }
    answers: list[dict[str, Any]] = []
    waited_before = budget.waited_seconds

    def undecided(why: str, healthy: int) -> Outcome:
        return Outcome.undecided(
            f"{why} (GET {url})", **facts, consecutive_healthy=healthy, answers=answers, **budget.facts()
        )

    why = budget.acquire(settings.consecutive, max_wait, log)
    if why:
        return undecided(why, 0)
    attempt, limited = 1, 0
    while attempt <= settings.consecutive:
        answer = probe(url, timeout)
        budget.observe(answer)
        answers.append(
            {"status": answer.status, "latency_ms": round(answer.latency_ms, 1), "error": answer.error or ""}
        )
        if answer.status == 429:
            limited += 1
            log(
                f"GET {url} #{attempt}: HTTP 429 (Retry-After {answer.retry_after or 'not given'}): the limiter"
            )
            left = max_wait - (budget.waited_seconds - waited_before)
            why = budget.acquire(settings.consecutive - attempt + 1, left, log)
            if why or limited > MAX_429_RETRIES:
                return undecided(why or f"rate limited: HTTP 429 {limited} times in a row", attempt - 1)
            continue  # the same answer again, after the limiter's window
        problem = judge(answer, settings.latency_budget_ms)
        log(f"GET {url} #{attempt}: {problem or f'healthy in {answer.latency_ms:.0f} ms'}")
        if problem:
            return Outcome.fail(
                f"{url} answer {attempt} of {settings.consecutive}: {problem}",
                **facts,
                consecutive_healthy=attempt - 1,
                answers=answers,
                **budget.facts(),
            )
        attempt += 1
    return Outcome.ok(
        f"{url} healthy {settings.consecutive} times in a row",
        **facts,
        consecutive_healthy=settings.consecutive,
        max_latency_ms=max(a["latency_ms"] for a in answers if a["status"] == 200),
        answers=answers,
        **budget.facts(),
    )


def _number(value: float) -> float:
    """Two decimals; a figure that could not be measured stays NaN, so the metadata keeps its float type
    across runs and the UI plots it as a gap (never text in place of a number)."""
    return value if math.isnan(value) else round(value, 2)


def _planned(settings: BenchmarkSettings, budget: RequestBudget) -> int:
    available = budget.available()
    return settings.requests if available is None else min(settings.requests, available)


def benchmark(
    base_url: str,
    settings: BenchmarkSettings,
    timeout_seconds: float,
    log: Log = print,
    budget: RequestBudget | None = None,
) -> Outcome:
    """A steady load on `settings.path` inside the budget; fails above the latency/error thresholds."""
    budget = budget or RequestBudget(RateLimitSettings())
    url = join(base_url, settings.path)
    enough = min(settings.min_requests, settings.requests)
    planned = _planned(settings, budget)
    if planned < enough:
        why = budget.acquire(enough, budget.settings.max_wait_seconds, log)
        if why:
            return Outcome.undecided(
                f"{why} (benchmark of {url})",
                url=url,
                requested=settings.requests,
                planned=planned,
                **budget.facts(),
            )
        planned = _planned(settings, budget)
    report = steady_load(
        url,
        requests=planned,
        rate_per_second=settings.rate_per_second,
        concurrency=settings.concurrency,
        duration_seconds=settings.duration_seconds,
        timeout_seconds=timeout_seconds,
    )
    if report.last is not None:
        budget.observe(report.last, in_a_row=False)
    measured = {
        "url": url,
        "requested": settings.requests,
        "planned": planned,
        "sent": report.sent,
        "measured": report.measured,
        "rate_limited": report.rate_limited,
        "rate_per_second": settings.rate_per_second,
        "achieved_rate_rps": _number(report.achieved_rate_rps),
        "min_gap_ms": _number(report.min_gap_seconds * 1000),
        "concurrency": settings.concurrency,
        "elapsed_seconds": round(report.elapsed_seconds, 3),
        "p50_ms": _number(report.p(0.50)),
        "p95_ms": _number(report.p(0.95)),
        "p99_ms": _number(report.p(0.99)),
        "throughput_rps": round(report.throughput_rps, 2),
        "error_rate": _number(report.error_rate),
        "errors": report.errors,
        "thresholds": settings.model_dump(),
        **budget.facts(),
    }
    log(
        f"benchmark {url}: {report.sent} sent at {settings.rate_per_second:g}/s, {report.rate_limited} "
        f"rate-limited, p50 {measured['p50_ms']} ms, p95 {measured['p95_ms']} ms, p99 {measured['p99_ms']} ms, "
        f"error rate {measured['error_rate']}"
    )
    if report.measured < enough and report.rate_limited:
        return Outcome.undecided(
            f"rate limited: {report.measured} answers measured, {enough} make a verdict; the app answered 429 "
            f"{report.rate_limited} time(s) (benchmark of {url})",
            **measured,
        )
    problems = []
    if report.measured < enough or (
        not report.rate_limited and report.measured < settings.min_measured_fraction * planned
    ):
        problems.append(f"only {report.measured} of {planned} requests measured: the duration bound ended it")
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
        f"p50 {measured['p50_ms']} ms, p95 {measured['p95_ms']} ms, p99 {measured['p99_ms']} ms over "
        f"{report.measured} requests at {settings.rate_per_second:g}/s",
        **measured,
    )
