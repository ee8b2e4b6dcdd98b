"""The authentication probe against the stand-in: credex-core's real routes answer without a token.

The finding is reported (a warning with the route list), never asserted away and never blocking; an app
that authenticated its data routes would pass; the probe reads and writes nothing.
"""

from __future__ import annotations

import pytest
from dagster import AssetCheckSeverity

from credex_orchestration.environments import RateLimitSettings
from credex_orchestration.lib.http_probe import probe
from credex_orchestration.verification import results
from credex_orchestration.verification.authentication import DATA_ROUTES, unauthenticated_routes
from credex_orchestration.verification.rate_limit import RequestBudget

from .support.api_server import ApiServer
from .support.environments import local_environments


@pytest.fixture
def server():
    with ApiServer() as running:
        yield running


def _probe(server: ApiServer, **settings):
    budget = RequestBudget(RateLimitSettings(**settings))
    return unauthenticated_routes(server.url, 2, budget, log=lambda _: None), budget


def test_the_apps_data_routes_answer_without_a_token_and_that_is_reported(server, tmp_path) -> None:
    outcome, budget = _probe(server)
    assert not outcome.passed and not outcome.inconclusive
    assert outcome.metadata["routes_without_authentication"] == [
        "POST /v1/getMemberByHandle",
        "POST /v1/getMemberDashboardByPhone",
        "POST /v1/getAccountByHandle",
        "POST /v1/getCredex",
    ]
    assert outcome.reason.startswith(
        "4 of 4 data routes answer without authentication: POST /v1/getMemberByHandle (HTTP 404)"
    )
    # A finding: a warning on the asset whatever the environment, never a blocking failure.
    environment = local_environments(tmp_path)["production"]
    assert results.severity(environment, results.AUTHENTICATION, outcome) == AssetCheckSeverity.WARN
    assert results.AUTHENTICATION not in results.blocking_checks(environment)
    assert budget.units_per_request == 2  # it spent the run's budget like every other check


def test_an_app_that_authenticates_its_data_routes_passes(server) -> None:
    for route in DATA_ROUTES:
        server.answers[(route.method, route.path.split("?")[0])] = (
            401,
            {"message": "Authentication required"},
        )
    outcome, _ = _probe(server)
    assert outcome.passed and outcome.reason == "all 4 data routes require authentication"


def test_the_probe_reads_nothing_and_writes_nothing(server) -> None:
    onboard = {"firstname": "Real", "lastname": "Member", "phone": "263771234567", "defaultDenom": "USD"}
    body = str(onboard).replace("'", '"').encode()
    assert probe(server.url + "/v1/onboardMember", 2, method="POST", body=body).status == 201
    before = {phone: dict(member) for phone, member in server.members.items()}
    outcome, _ = _probe(server)
    assert server.members == before  # nothing written
    # Every probe asked for a record that cannot exist: nothing was found, so nothing was read.
    assert set(outcome.metadata["routes"].values()) == {"answers without authentication (HTTP 404)"}
    assert [path for _, path in server.requests[1:]] == [route.path for route in DATA_ROUTES]


def test_a_probe_without_budget_is_inconclusive(server) -> None:
    for _ in range(51):
        probe(server.url + "/health", 2)
    outcome, _ = _probe(server, max_wait_seconds=1)
    assert outcome.inconclusive and outcome.metadata["routes"]
    assert outcome.reason.startswith("inconclusive: 4 of 4 data routes gave no verdict")


def test_a_429_inside_the_wait_budget_is_waited_out() -> None:
    with ApiServer(window_seconds=1) as server:
        for _ in range(51):
            probe(server.url + "/health", 2)
        outcome, budget = _probe(server, window_seconds=1, max_wait_seconds=3)
    assert not outcome.inconclusive and len(outcome.metadata["routes_without_authentication"]) == 4
    assert budget.waited_seconds > 0 and budget.rate_limited == 1
