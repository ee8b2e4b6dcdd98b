"""The app's rate limiter (the stand-in, faithful to express-rate-limit mounted twice) and the run's budget.

The first test pins the stand-in to the measured contract with the real 60 s window; the others use short
windows where they wait for one (ApiServer(window_seconds=...) and the same in RateLimitSettings).
"""

from __future__ import annotations

import time

import pytest

from credex_orchestration.environments import BenchmarkSettings, HealthSettings, RateLimitSettings
from credex_orchestration.lib.http_probe import probe
from credex_orchestration.verification import api
from credex_orchestration.verification.rate_limit import RequestBudget

from .support.api_server import ApiServer

HEALTH = HealthSettings(consecutive=3, latency_budget_ms=2000)


def _spend(server: ApiServer, requests: int, source: str | None = None) -> list:
    return [probe(server.url + "/health", 2, source_address=source) for _ in range(requests)]


def test_the_limiter_allows_50_a_minute_and_says_how_long_is_left() -> None:
    """Measured: 100 per 60 s counted twice, headers on every answer, Retry-After = seconds left."""
    with ApiServer() as server:
        answers = _spend(server, 51)
        remaining = [int(a.headers["X-RateLimit-Remaining"]) for a in answers]
        assert [a.status for a in answers[:50]] == [200] * 50
        assert remaining[:50] == list(range(98, -1, -2)) and {
            a.headers["X-RateLimit-Limit"] for a in answers
        } == {"100"}
        limited = answers[50]
        assert limited.status == 429 and limited.body == "Too many requests, please try again later"
        assert limited.headers["X-RateLimit-Remaining"] == "0" and 58 <= int(limited.retry_after) <= 60
        time.sleep(1.1)
        later = probe(server.url + "/health", 2)
        assert (
            later.status == 429 and int(later.retry_after) <= int(limited.retry_after) - 1
        )  # not a fixed 60
        # Another source address has its own budget; a new process (ECS task) starts with an empty counter.
        other = probe(server.url + "/health", 2, source_address="127.0.0.2")
        assert other.status == 200 and other.headers["X-RateLimit-Remaining"] == "98"
        server.restart()
        assert probe(server.url + "/health", 2).headers["X-RateLimit-Remaining"] == "98"


def test_a_preflight_is_not_counted_and_malformed_json_counts_once() -> None:
    with ApiServer() as server:
        first = probe(server.url + "/health", 2)
        assert probe(server.url + "/v1/login", 2, method="OPTIONS").status == 204
        malformed = probe(server.url + "/v1/login", 2, method="POST", body=b"{not json")
        after = probe(server.url + "/health", 2)
    assert malformed.status == 400
    values = [int(a.headers["X-RateLimit-Remaining"]) for a in (first, malformed, after)]
    assert values == [98, 97, 95]


def test_the_budget_measures_the_cost_and_keeps_the_reserve() -> None:
    with ApiServer() as server:
        budget = RequestBudget(RateLimitSettings(reserve_requests=10))
        assert budget.available() is None  # nothing known before an answer
        for answer in _spend(server, 3):
            budget.observe(answer)
    assert budget.units_per_request == 2 and budget.remaining == 94
    assert budget.available() == (94 - 10 * 2) // 2 == 37
    assert budget.acquire(37, max_wait_seconds=0) is None
    why = budget.acquire(38, max_wait_seconds=5)
    assert why is not None and why.startswith("rate limited: 38 requests needed, 37 left")
    assert "waiting 61s is over the 5s" in why


def test_health_waits_out_a_429_inside_its_time_budget() -> None:
    with ApiServer(window_seconds=1.5) as server:
        _spend(server, 51)  # the budget of this address is gone: the next answer is a 429
        budget = RequestBudget(RateLimitSettings(window_seconds=1.5, max_wait_seconds=5))
        outcome = api.health(server.url, HEALTH, 2, log=lambda _: None, budget=budget)
    assert outcome.passed and not outcome.inconclusive, outcome.reason
    assert outcome.metadata["answers"][0]["status"] == 429 and outcome.metadata["consecutive_healthy"] == 3
    assert 0 < outcome.metadata["rate_limit_waited_seconds"] <= 2


def test_a_429_past_the_wait_budget_is_inconclusive_never_unhealthy() -> None:
    """The issue's failure: a healthy app answering 429 was judged unhealthy and rolled back."""
    with ApiServer() as server:
        _spend(server, 51)
        budget = RequestBudget(RateLimitSettings(max_wait_seconds=2))
        outcome = api.health(server.url, HEALTH, 2, log=lambda _: None, budget=budget)
    assert outcome.inconclusive and not outcome.passed
    assert outcome.reason == (
        "inconclusive: rate limited: the app answered 429, Retry-After 60s; waiting 60s is over the 2s this "
        f"check may wait (GET {server.url}/health)"
    )
    assert outcome.metadata["inconclusive"] is True and outcome.metadata["consecutive_healthy"] == 0


def test_a_benchmark_without_budget_is_inconclusive() -> None:
    with ApiServer() as server:
        budget = RequestBudget(RateLimitSettings(reserve_requests=10, max_wait_seconds=1))
        for answer in _spend(server, 35):  # 30 units left: 15 requests, 5 above the reserve
            budget.observe(answer)
        settings = BenchmarkSettings(requests=20, min_requests=8, rate_per_second=50)
        outcome = api.benchmark(server.url, settings, 2, log=lambda _: None, budget=budget)
        sent = len(server.requests)
    assert outcome.inconclusive and "8 requests needed, 5 left" in outcome.reason
    assert sent == 35  # it sent nothing: the budget said so before


def test_the_benchmark_sends_only_what_the_budget_allows() -> None:
    with ApiServer() as server:
        budget = RequestBudget(RateLimitSettings(reserve_requests=10))
        for answer in _spend(server, 25):  # 50 units left: 25 requests, 15 above the reserve
            budget.observe(answer)
        settings = BenchmarkSettings(requests=30, min_requests=5, rate_per_second=50)
        outcome = api.benchmark(server.url, settings, 2, log=lambda _: None, budget=budget)
        last = probe(server.url + "/health", 2)
    assert outcome.passed, outcome.reason
    assert (
        outcome.metadata["planned"] == outcome.metadata["sent"] == 15
        and outcome.metadata["rate_limited"] == 0
    )
    assert last.headers["X-RateLimit-Remaining"] == "18"  # the reserve (10 requests, 20 units) left untouched


def test_the_suite_counts_match_what_the_limiter_counts() -> None:
    """integration_suite.REQUESTS is what the check reserves; the stand-in counts what the suite sent."""
    from credex_orchestration.verification.integration import requests_of, run_suite

    with ApiServer() as server:
        outcome = run_suite(server.url, read_only=False, timeout_seconds=60, request_timeout_seconds=5)
        after = probe(server.url + "/health", 2)
    assert outcome.passed, outcome.reason
    units = 100 - int(after.headers["X-RateLimit-Remaining"]) - 2  # less the probe after the suite
    # Every request counts twice, but the malformed JSON once (body-parser sits between the two mounts).
    assert units == 2 * requests_of(read_only=False) - 1
    assert outcome.metadata["rate_limit_remaining"] == 100 - units  # the budget read the suite's last answer


@pytest.mark.parametrize("window", [1.0])
def test_after_a_window_the_budget_is_whole_again(window) -> None:
    with ApiServer(window_seconds=window) as server:
        limited = _spend(server, 51)[-1]
        assert limited.status == 429 and int(limited.retry_after) <= 1
        time.sleep(float(limited.retry_after) + 0.1)
        again = probe(server.url + "/health", 2)
    assert again.status == 200 and again.headers["X-RateLimit-Remaining"] == "98"
