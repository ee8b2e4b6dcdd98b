"""API health and the benchmark against the loopback stand-in for credex-core (its real contract), good and bad."""

from __future__ import annotations

import math
import socket

import pytest
from dagster import MetadataValue

from credex_orchestration.environments import BenchmarkSettings, HealthSettings
from credex_orchestration.lib.http_probe import percentile, probe
from credex_orchestration.verification import api
from credex_orchestration.verification.results import metadata_value

from .support.api_server import ApiServer
from .support.moto import free_port

HEALTH = HealthSettings(consecutive=3, latency_budget_ms=300)


@pytest.fixture
def server():
    with ApiServer() as running:
        yield running


def test_three_healthy_answers_pass(server) -> None:
    outcome = api.health(server.url, HEALTH, timeout_seconds=2, log=lambda _: None)
    assert outcome.passed, outcome.reason
    assert outcome.metadata["consecutive_healthy"] == 3
    assert [method for method, _ in server.requests] == ["GET"] * 3


@pytest.mark.parametrize(
    ("setup", "why"),
    [
        (lambda s: setattr(s, "mode", "error500"), "HTTP 500, expected 200"),
        (lambda s: setattr(s, "mode", "wrong_body"), 'expected {"status": "healthy"}'),
        (lambda s: setattr(s, "delay_seconds", 0.5), "over the 300 ms budget"),
    ],
    ids=["500", "wrong-body", "slow"],
)
def test_each_bad_answer_fails_health_and_says_why(server, setup, why) -> None:
    setup(server)
    outcome = api.health(server.url, HEALTH, timeout_seconds=2, log=lambda _: None)
    assert not outcome.passed and not outcome.inconclusive
    assert why in outcome.reason
    assert outcome.metadata["consecutive_healthy"] < 3


def test_the_old_systems_expected_body_is_not_healthy(server) -> None:
    server.mode = "wrong_body"  # answers {"status":"OK"}: what the old checks wanted (mistake 10)
    outcome = api.health(server.url, HEALTH, timeout_seconds=2, log=lambda _: None)
    assert not outcome.passed and '\'{"status": "OK"}\'' in outcome.reason


@pytest.mark.parametrize(
    ("url", "why"),
    [
        (f"http://127.0.0.1:{free_port()}", "connection refused"),
        ("http://credex-core.invalid", "DNS lookup failed"),
        ("silent", "timed out"),  # accepts connections, never answers: the timeout bounds the wait
    ],
    ids=["refused", "dns", "silent"],
)
def test_no_answer_fails_health_with_the_cause(url, why) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        if url == "silent":
            url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        outcome = api.health(url, HEALTH, timeout_seconds=0.5, log=lambda _: None)
    assert not outcome.passed
    assert why in outcome.reason, outcome.reason
    assert outcome.metadata["answers"][0]["status"] is None


def test_benchmark_p50_matches_a_known_fixed_delay(server) -> None:
    delay = 0.1
    server.delay_seconds = delay
    settings = BenchmarkSettings(requests=24, concurrency=4, rate_per_second=20, max_p50_ms=1000)
    outcome = api.benchmark(server.url, settings, timeout_seconds=5, log=lambda _: None)
    assert outcome.passed, outcome.reason
    assert abs(outcome.metadata["p50_ms"] - delay * 1000) <= delay * 1000 * 0.10
    assert outcome.metadata["p50_ms"] <= outcome.metadata["p95_ms"] <= outcome.metadata["p99_ms"]
    assert outcome.metadata["sent"] == 24 and outcome.metadata["error_rate"] == 0
    assert 15 < outcome.metadata["throughput_rps"] <= 21  # the rate it was sent at, not the server's capacity


def test_the_benchmark_is_steady_not_a_burst(server) -> None:
    """The old benchmark sent its 30 requests in 0.5 s: its latency was a burst's. Now request i goes at i/rate."""
    settings = BenchmarkSettings(requests=10, rate_per_second=20, min_requests=10)
    outcome = api.benchmark(server.url, settings, timeout_seconds=5, log=lambda _: None)
    assert outcome.passed, outcome.reason
    arrivals = [at for at, method, _ in server.arrivals if method == "GET"]
    gaps = sorted(b - a for a, b in zip(arrivals, arrivals[1:], strict=False))
    # A request never goes before its slot: 10 requests span at least 9 intervals (a burst spans ~0).
    assert len(arrivals) == 10 and arrivals[-1] - arrivals[0] >= 9 * 0.05 * 0.95
    assert 0.04 < gaps[len(gaps) // 2] < 0.08  # the median gap is the interval (a loaded machine adds lag)
    assert outcome.metadata["achieved_rate_rps"] <= 21 and outcome.metadata["min_gap_ms"] >= 0


def test_benchmark_fails_above_its_latency_threshold(server) -> None:
    server.delay_seconds = 0.05
    settings = BenchmarkSettings(
        requests=8, concurrency=2, rate_per_second=40, max_p50_ms=20, max_p95_ms=20, max_p99_ms=20
    )
    outcome = api.benchmark(server.url, settings, timeout_seconds=5, log=lambda _: None)
    assert not outcome.passed and not outcome.inconclusive
    assert "p50" in outcome.reason and "above 20 ms" in outcome.reason


def test_benchmark_counts_500s_as_errors(server) -> None:
    server.mode = "error500"
    settings = BenchmarkSettings(requests=6, concurrency=2, rate_per_second=40)
    outcome = api.benchmark(server.url, settings, 5, log=lambda _: None)
    assert not outcome.passed
    assert outcome.metadata["error_rate"] == 1.0 and outcome.metadata["errors"] == {"HTTP 500": 6}
    assert "error rate 100.00%" in outcome.reason


def test_a_429_stops_the_benchmark_and_is_not_an_error(server) -> None:
    for _ in range(45):  # someone else (the ALB's health checks, users) spent most of the window
        probe(server.url + "/health", 2)
    settings = BenchmarkSettings(requests=10, min_requests=8, rate_per_second=40)
    outcome = api.benchmark(server.url, settings, 5, log=lambda _: None)
    assert outcome.inconclusive and outcome.metadata["error_rate"] == 0
    assert outcome.metadata["measured"] == 5 and outcome.metadata["rate_limited"] == 1
    assert "5 answers measured, 8 make a verdict; the app answered 429 1 time(s)" in outcome.reason


def test_benchmark_is_bounded_by_its_duration(server) -> None:
    server.delay_seconds = 0.2
    settings = BenchmarkSettings(requests=1000, concurrency=2, rate_per_second=10, duration_seconds=0.5)
    outcome = api.benchmark(server.url, settings, 5, log=lambda _: None)
    assert outcome.metadata["sent"] <= 5 and outcome.metadata["elapsed_seconds"] < 2
    assert not outcome.passed and "the duration bound ended it" in outcome.reason


def test_benchmark_against_nothing_fails_with_the_cause() -> None:
    settings = BenchmarkSettings(requests=3, concurrency=1, rate_per_second=20)
    outcome = api.benchmark("http://credex-core.invalid", settings, 1, print)
    assert not outcome.passed and "no successful answer" in outcome.reason
    assert any("DNS lookup failed" in error for error in outcome.metadata["errors"])
    # Nothing measured: the numbers are null in the check's metadata, never text in their place.
    assert math.isnan(outcome.metadata["p50_ms"]) and outcome.metadata["error_rate"] == 1.0
    shown = metadata_value(outcome.metadata["p50_ms"])  # a float, so the UI plots a gap, never text
    assert shown.__class__ is MetadataValue.float(0.0).__class__ and math.isnan(shown.value)


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 0.5), percentile(values, 0.95), percentile(values, 0.99)) == (50, 95, 99)
