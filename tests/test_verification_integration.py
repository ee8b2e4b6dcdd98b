"""The integration suite in a subprocess against the stand-in speaking credex-core's real contract.

Each test of the suite passes against the real contract and fails, for its own reason, when the app breaks
that part of it (`ApiServer.answers`); the suite never calls a destructive route; a limiter that leaves no
budget makes the outcome inconclusive, not failed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from credex_orchestration.environments import RateLimitSettings
from credex_orchestration.lib.http_probe import probe
from credex_orchestration.verification.integration import SUITE, run_suite
from credex_orchestration.verification.rate_limit import RequestBudget

from .support.api_server import ApiServer
from .support.moto import free_port

READ_ONLY = "test_read_only::"
CREATES = "test_creates_data::"


@pytest.fixture
def server():
    with ApiServer() as running:
        yield running


def test_every_test_passes_against_the_real_contract(server) -> None:
    outcome = run_suite(server.url, read_only=False, timeout_seconds=60, request_timeout_seconds=5)
    assert outcome.passed, outcome.reason
    tests = outcome.metadata["tests"]
    assert set(tests.values()) == {"passed"} and outcome.metadata["passed"] == len(tests) == 10
    assert len(server.members) == 1  # the data-creating tests did create data: one member
    paths = [path for _, path in server.requests]
    assert "/v1/createCredex" in paths and "/v1/offerCredex" not in paths  # the route renamed in October 2024


def test_the_suite_never_calls_a_destructive_route(server) -> None:
    """credex-core's own tests start with /devadmin/clearDevDBs; this suite never calls /devadmin/ at all."""
    run_suite(server.url, read_only=False, timeout_seconds=60, request_timeout_seconds=5)
    assert server.requests and not any("/devadmin/" in path for _, path in server.requests)
    calls = [
        line
        for path in Path(SUITE).glob("*.py")
        for line in path.read_text().splitlines()
        if "request(" in line
    ]
    assert calls and not any("devadmin" in line.lower() for line in calls)


def test_production_selection_creates_no_data(server) -> None:
    outcome = run_suite(server.url, read_only=True, timeout_seconds=60, request_timeout_seconds=5)
    assert outcome.passed, outcome.reason
    assert all(name.startswith(READ_ONLY) for name in outcome.metadata["tests"])
    assert not any(method == "POST" and path == "/v1/onboardMember" for method, path in server.requests)
    assert server.members == {}


@pytest.mark.parametrize(
    ("broken", "test", "says"),
    [
        (("GET", "/health", 200, {"status": "OK"}), "test_health_is_healthy_within_one_second", '"OK"'),
        (("GET", "/api-docs/", 404, {"message": "Not Found"}), "test_api_docs_are_served", "404"),
        (("OPTIONS", "/v1/login", 200, {}), "test_cors_preflight_is_allowed", "200"),
        (
            ("POST", "/v1/login", 400, {"message": "phone required"}),
            "test_login_with_an_empty_body_names_the_missing_phone",
            "phone required",
        ),
        (("POST", "/v1/login", 200, {}), "test_malformed_json_is_rejected", "200"),
        (
            ("GET", "/v1/no-such-route", 404, {"message": "Not Found"}),
            "test_an_unknown_path_needs_authentication",
            "404",
        ),
        (
            ("POST", "/v1/getMemberByHandle", 401, {"message": "Authentication required"}),
            "test_an_unknown_member_handle_is_not_found",
            "401",
        ),
        (
            ("POST", "/v1/createCredex", 404, {"message": "Not Found"}),
            "test_a_negative_amount_is_rejected",
            "404",
        ),
    ],
    ids=[
        "health-body",
        "docs",
        "cors",
        "login-message",
        "malformed-json",
        "unknown-path",
        "member",
        "credex",
    ],
)
def test_each_read_only_test_fails_for_its_own_reason(server, broken, test, says) -> None:
    method, path, status, body = broken
    server.answers[(method, path)] = (status, body)
    outcome = run_suite(server.url, read_only=True, timeout_seconds=60, request_timeout_seconds=5)
    verdict = outcome.metadata["tests"][READ_ONLY + test]
    assert not outcome.passed and verdict.startswith("failed: AssertionError") and says in verdict, verdict
    assert outcome.metadata["failed"] <= 2  # only the tests of that route


def test_the_data_creating_tests_fail_without_a_daynode(server) -> None:
    server.daynode_active = False  # credex-core answers 400 "could not onboard member"
    outcome = run_suite(server.url, read_only=False, timeout_seconds=60, request_timeout_seconds=5)
    tests = outcome.metadata["tests"]
    assert not outcome.passed and outcome.metadata["failed"] == 2
    assert (
        "active Daynode"
        in tests[CREATES + "test_onboarding_answers_the_dashboard_a_token_and_the_default_account"]
    )


def test_the_old_onboarding_shape_fails(server) -> None:
    """The old stand-in answered 200 {memberID, token}; credex-core answers 201 {memberDashboard, token, ...}."""
    server.answers[("POST", "/v1/onboardMember")] = (200, {"memberID": "m-1", "token": "t-1"})
    outcome = run_suite(server.url, read_only=False, timeout_seconds=60, request_timeout_seconds=5)
    verdict = outcome.metadata["tests"][
        CREATES + "test_onboarding_answers_the_dashboard_a_token_and_the_default_account"
    ]
    assert verdict.startswith("failed: ") and "HTTP 200" in verdict and "memberID" in verdict, verdict


def test_a_limiter_with_no_budget_left_makes_the_suite_inconclusive(server) -> None:
    for _ in range(51):
        probe(server.url + "/health", 2)
    budget = RequestBudget(RateLimitSettings(max_wait_seconds=2))
    outcome = run_suite(
        server.url, read_only=True, timeout_seconds=60, request_timeout_seconds=5, budget=budget
    )
    assert outcome.inconclusive and not outcome.passed and outcome.metadata["failed"] == 0
    assert outcome.reason.startswith("inconclusive: rate limited: 7 of 8 integration tests could not run")
    assert outcome.metadata["tests"][READ_ONLY + "test_cors_preflight_is_allowed"] == "passed"  # not counted
    assert budget.remaining == 0 and budget.blocked_until is not None  # the budget knows what the suite saw


def test_an_unreachable_api_fails_every_test_with_the_cause() -> None:
    outcome = run_suite(
        f"http://127.0.0.1:{free_port()}", read_only=True, timeout_seconds=60, request_timeout_seconds=2
    )
    assert not outcome.passed and outcome.metadata["failed"] == 8
    assert (
        "ConnectionRefusedError"
        in outcome.metadata["tests"][READ_ONLY + "test_health_is_healthy_within_one_second"]
    )


def test_a_suite_that_overruns_its_bound_fails(server) -> None:
    server.delay_seconds = 2
    outcome = run_suite(server.url, read_only=True, timeout_seconds=3, request_timeout_seconds=5)
    assert not outcome.passed and outcome.reason == "integration suite did not finish within 3s"
