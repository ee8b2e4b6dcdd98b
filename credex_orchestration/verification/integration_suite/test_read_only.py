"""Read-only contract of credex-core (safe in production): health, docs, CORS, validation and auth."""

import pytest

pytestmark = pytest.mark.read_only


def test_health_is_healthy(api) -> None:
    answer = api.request("GET", "/health")
    assert answer.status == 200
    assert answer.json() == {"status": "healthy"}


def test_health_answers_within_one_second(api) -> None:
    assert api.request("GET", "/health").seconds < 1.0


def test_api_docs_are_served(api) -> None:
    assert api.request("GET", "/api-docs/").status == 200


def test_cors_preflight_is_allowed(api) -> None:
    answer = api.request("OPTIONS", "/v1/login", headers={"Origin": "https://mycredex.app"})
    assert answer.status == 204


def test_login_with_an_empty_body_is_rejected(api) -> None:
    assert api.request("POST", "/v1/login", body={}).status == 400


def test_malformed_json_is_rejected(api) -> None:
    assert api.request("POST", "/v1/login", body="{not json").status == 400


def test_a_bad_token_is_refused(api) -> None:
    answer = api.request(
        "POST",
        "/v1/getMemberByHandle",
        body={"memberHandle": "nobody"},
        headers={"Authorization": "Bearer x"},
    )
    assert answer.status == 401


def test_an_unknown_path_needs_auth(api) -> None:
    assert api.request("GET", "/v1/no-such-route").status == 401
