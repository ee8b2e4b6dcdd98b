"""Check 5: the repository's integration suite in a subprocess against a loopback API, results per test."""

from __future__ import annotations

import pytest

from credex_orchestration.verification.integration import run_suite

from .support.api_server import ApiServer
from .support.moto import free_port


@pytest.fixture
def server():
    with ApiServer() as running:
        yield running


def test_all_tests_pass_against_a_conforming_api(server) -> None:
    outcome = run_suite(server.url, read_only=False, timeout_seconds=60, request_timeout_seconds=5)
    assert outcome.passed, outcome.reason
    tests = outcome.metadata["tests"]
    assert tests["test_read_only::test_health_is_healthy"] == "passed"
    assert tests["test_creates_data::test_the_new_member_can_log_in"] == "passed"
    assert outcome.metadata["passed"] == len(tests) == 11
    assert len(server.members) == 1  # the data-creating tests did create data


def test_production_selection_creates_no_data(server) -> None:
    outcome = run_suite(server.url, read_only=True, timeout_seconds=60, request_timeout_seconds=5)
    assert outcome.passed, outcome.reason
    assert all(name.startswith("test_read_only::") for name in outcome.metadata["tests"])
    assert not any(method == "POST" and path == "/v1/onboardMember" for method, path in server.requests)
    assert server.members == {}


def test_failures_are_reported_per_test(server) -> None:
    server.mode = "wrong_body"
    outcome = run_suite(server.url, read_only=True, timeout_seconds=60, request_timeout_seconds=5)
    assert not outcome.passed
    tests = outcome.metadata["tests"]
    assert tests["test_read_only::test_health_is_healthy"].startswith("failed: AssertionError")
    assert tests["test_read_only::test_api_docs_are_served"] == "passed"
    assert outcome.metadata["failed"] == 1
    assert outcome.reason == "1 of 8 integration tests failed: test_read_only::test_health_is_healthy"


def test_an_unreachable_api_fails_every_test_with_the_cause() -> None:
    outcome = run_suite(
        f"http://127.0.0.1:{free_port()}", read_only=True, timeout_seconds=60, request_timeout_seconds=2
    )
    assert not outcome.passed and outcome.metadata["failed"] == 8
    assert "ConnectionRefusedError" in outcome.metadata["tests"]["test_read_only::test_health_is_healthy"]


def test_a_suite_that_overruns_its_bound_fails(server) -> None:
    server.delay_seconds = 2
    outcome = run_suite(server.url, read_only=True, timeout_seconds=3, request_timeout_seconds=5)
    assert not outcome.passed and outcome.reason == "integration suite did not finish within 3s"
