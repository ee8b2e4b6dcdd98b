"""Read-only contract of credex-core (safe in production): health, docs, CORS, validation, unknown paths.

Each test names the real source of what it asserts (Great-Sun-Group/credex-core, branch `stage`). What the
app does NOT do is not asserted here: a bad token on a real route is not refused (every route is mounted
before authentication); the authentication probe reports that as a finding instead.
"""

import uuid

import pytest

pytestmark = pytest.mark.read_only


def test_health_is_healthy_within_one_second(api) -> None:
    """src/index.ts: `GET /health` -> 200 {"status": "healthy"}; it touches no database."""
    answer = api.request("GET", "/health")
    assert answer.status == 200, str(answer)
    assert answer.json() == {"status": "healthy"}, str(answer)
    assert answer.seconds < 1.0, f"answered in {answer.seconds:.2f}s"


def test_api_docs_are_served(api) -> None:
    """src/index.ts: Swagger UI under /api-docs/."""
    answer = api.request("GET", "/api-docs/")
    assert answer.status == 200, str(answer)


def test_cors_preflight_is_allowed(api) -> None:
    """src/middleware/securityConfig.ts: cors answers every preflight, before the rate limiter."""
    answer = api.request("OPTIONS", "/v1/login", headers={"Origin": "https://mycredex.app"})
    assert answer.status == 204, str(answer)


def test_login_with_an_empty_body_names_the_missing_phone(api) -> None:
    """src/middleware/validateRequest.ts with loginMemberSchema (phone required)."""
    answer = api.request("POST", "/v1/login", body={})
    assert (answer.status, answer.message) == (400, "Required field missing: phone"), str(answer)


def test_malformed_json_is_rejected(api) -> None:
    """body-parser (src/index.ts) refuses a body that is not JSON."""
    answer = api.request("POST", "/v1/login", body="{not json")
    assert answer.status == 400, str(answer)


def test_an_unknown_path_needs_authentication(api) -> None:
    """Only a path that matches no route reaches applyAuthMiddleware: no token -> 401."""
    answer = api.request("GET", f"/v1/no-such-route-{uuid.uuid4().hex[:8]}")
    assert (answer.status, answer.message) == (401, "Authentication required"), str(answer)


def test_an_unknown_member_handle_is_not_found(api) -> None:
    """src/api/Member/memberRoutes.ts getMemberByHandle: no member with the handle -> 404."""
    answer = api.request("POST", "/v1/getMemberByHandle", body={"memberHandle": "verify_probe_nobody"})
    assert (answer.status, answer.message) == (404, "Member not found"), str(answer)


def test_a_negative_amount_is_rejected(api) -> None:
    """src/api/Credex/credexRoutes.ts createCredex (offerCredex was renamed 2024-10-21): validation refuses
    a negative InitialAmount before anything is written, with or without a token."""
    body = {
        "Denomination": "USD",
        "InitialAmount": -5,
        "credexType": "PURCHASE",
        "OFFERSorREQUESTS": "OFFERS",
    }
    answer = api.request("POST", "/v1/createCredex", body=body)
    assert (answer.status, answer.message) == (400, "Invalid amount: must be a positive finite number"), str(
        answer
    )
