"""Flows that write data (never in production): onboard a new member, then log in as them.

src/api/Member/memberRoutes.ts: onboardMember -> 201 {memberDashboard, token, defaultAccountID}; it needs
an active Daynode in LedgerSpace (credex-core's own tests make one with /devadmin/forceDCO, which this
suite never calls) and answers 400 "could not onboard member" without one. Each run adds one member with
a fresh phone number; nothing is deleted (the app has no route for it; /devadmin/clearDevDBs wipes all).
"""

import uuid

import pytest

pytestmark = pytest.mark.creates_data


@pytest.fixture(scope="module")
def member(api) -> dict:
    phone = "2637" + str(uuid.uuid4().int)[:8]
    body = {"firstname": "Verify", "lastname": "Deploy", "phone": phone, "defaultDenom": "USD"}
    answer = api.request("POST", "/v1/onboardMember", body=body)
    if answer.status == 400 and answer.message == "could not onboard member":
        pytest.fail("onboardMember: could not onboard member (does LedgerSpace have an active Daynode?)")
    assert answer.status == 201, str(answer)
    return {"phone": phone, **answer.json()}


def test_onboarding_answers_the_dashboard_a_token_and_the_default_account(member) -> None:
    assert {"memberDashboard", "token", "defaultAccountID"} <= set(member)
    assert member["token"] and member["memberDashboard"]["memberID"]
    assert member["defaultAccountID"] in member["memberDashboard"]["accountIDS"]


def test_the_new_member_can_log_in(api, member) -> None:
    answer = api.request("POST", "/v1/login", body={"phone": member["phone"]})
    assert answer.status == 200, str(answer)
    assert answer.json().get("token")
