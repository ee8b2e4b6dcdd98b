"""Which of the app's data routes answer without a token: a finding to report, not a contract to assert.

credex-core mounts every router before its authentication middleware (src/index.ts: the `/v1` routers,
then `applyAuthMiddleware`), so a real route runs its handler without any token check; only paths that
match no route reach authentication (401). That is a security defect of the app. This probe asks each
route that reads member, account or credex data, without a token, for a record that cannot exist (a
reserved phone number, a handle and an ID no member has), so it reads nothing and writes nothing: an
answer other than 401 means the route served the request unauthenticated. The result is a non-blocking
warning with the route list; it never fails or rolls back a deploy.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..lib.http_probe import Probe, probe
from .api import join
from .outcome import Outcome
from .rate_limit import RequestBudget

Log = Callable[[str], None]
NO_MEMBER = "verify_probe_nobody"  # matches the handle schema; no member or account is named so
RESERVED_PHONE = "999000000000"  # E.164 country code 999 is unassigned: no member can have it
NO_CREDEX = "00000000-0000-4000-8000-000000000000"  # a well-formed v4 UUID no credex is given


@dataclass(frozen=True)
class DataRoute:
    """A route that reads data, and a request to it that names a record that cannot exist."""

    method: str
    path: str
    body: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.method} {self.path.split('?', 1)[0]}"


# The data-reading routes of src/api/Member/memberRoutes.ts, src/api/Account/accountRoutes.ts and
# src/api/Credex/credexRoutes.ts (getCredex validates its query string).
DATA_ROUTES = (
    DataRoute("POST", "/v1/getMemberByHandle", {"memberHandle": NO_MEMBER}),
    DataRoute("POST", "/v1/getMemberDashboardByPhone", {"phone": RESERVED_PHONE}),
    DataRoute("POST", "/v1/getAccountByHandle", {"accountHandle": NO_MEMBER}),
    DataRoute("POST", f"/v1/getCredex?credexID={NO_CREDEX}", {}),
)


def verdict(answer: Probe) -> str:
    """One route's answer without a token, in words."""
    if not answer.answered:
        return f"unknown: no answer ({answer.error})"
    if answer.status == 401:
        return "requires authentication (HTTP 401)"
    if answer.status == 429:
        return "unknown: rate limited (HTTP 429)"
    return f"answers without authentication (HTTP {answer.status})"


def unauthenticated_routes(
    base_url: str,
    timeout_seconds: float,
    budget: RequestBudget,
    log: Log = print,
    routes: tuple[DataRoute, ...] = DATA_ROUTES,
) -> Outcome:
    """Probe each data route without a token; fails (a warning finding) when any answers unauthenticated."""
    why = budget.acquire(len(routes), budget.settings.max_wait_seconds, log)
    if why:
        return Outcome.undecided(f"{why} (authentication probe)", **budget.facts())
    verdicts: dict[str, str] = {}
    waited_before = budget.waited_seconds
    for index, route in enumerate(routes):
        for _ in range(2):  # once more after a 429, when its Retry-After fits in the wait left
            answer = probe(
                join(base_url, route.path), timeout_seconds, route.method, json.dumps(route.body).encode()
            )
            budget.observe(answer)
            left = budget.settings.max_wait_seconds - (budget.waited_seconds - waited_before)
            if answer.status != 429 or budget.acquire(len(routes) - index, left, log):
                break
        verdicts[str(route)] = verdict(answer)
        log(f"{route} without a token: {verdicts[str(route)]}")
    open_routes = [name for name, said in verdicts.items() if said.startswith("answers without")]
    unknown = [name for name, said in verdicts.items() if said.startswith("unknown")]
    facts = {"routes": verdicts, "routes_without_authentication": open_routes, **budget.facts()}
    if open_routes:
        listed = ", ".join(f"{name} ({verdicts[name].split('(')[-1]}" for name in open_routes)
        return Outcome.fail(
            f"{len(open_routes)} of {len(routes)} data routes answer without authentication: {listed}",
            **facts,
        )
    if unknown:
        return Outcome.undecided(
            f"{len(unknown)} of {len(routes)} data routes gave no verdict: "
            + ", ".join(f"{name} {verdicts[name]}" for name in unknown),
            **facts,
        )
    return Outcome.ok(f"all {len(routes)} data routes require authentication", **facts)
