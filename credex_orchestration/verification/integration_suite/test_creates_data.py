"""Flows that write data (development and staging only): onboard a member, then log in as them."""

import uuid

import pytest

pytestmark = pytest.mark.creates_data


@pytest.fixture(scope="module")
def member(api) -> dict:
    phone = "2637" + str(uuid.uuid4().int)[:8]
    body = {"firstname": "Verify", "lastname": "Deploy", "phone": phone, "defaultDenom": "USD"}
    answer = api.request("POST", "/v1/onboardMember", body=body)
    assert answer.status in (200, 201), answer.body[:200]
    return {"phone": phone, **answer.json()}


def test_onboarding_returns_a_member(member) -> None:
    assert member.get("memberID") or member.get("token")


def test_the_new_member_can_log_in(api, member) -> None:
    answer = api.request("POST", "/v1/login", body={"phone": member["phone"]})
    assert answer.status == 200
    assert answer.json().get("token")


def test_a_negative_amount_is_rejected(api, member) -> None:
    token = (
        member.get("token")
        or api.request("POST", "/v1/login", body={"phone": member["phone"]}).json()["token"]
    )
    answer = api.request(
        "POST",
        "/v1/offerCredex",
        body={"InitialAmount": -5, "Denomination": "USD", "credexType": "PURCHASE"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status == 400
