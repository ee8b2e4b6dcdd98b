"""A real HTTP server on loopback standing in for credex-core's API, answering its real contract.

Stands in for credex-core's `stage` branch (f53d26e, 2024-11-04) as measured and recorded in
shared/reference/credex-core-deploy.md ("HTTP contract of the current API"), with the behaviour read
from the real source (repository Great-Sun-Group/credex-core):
- src/index.ts: `applySecurityMiddleware` (helmet, cors, rate limiter), request id, logger, body-parser
  json, the rate limiter mounted a second time, `/api-docs`, `GET /health` -> 200 `{"status":"healthy"}`,
  the routers under `/v1` (Member, Account, Credex), the devadmin routes when NODE_ENV is not production,
  and only then `applyAuthMiddleware` and the not-found/error handlers. So every real route answers without
  a token check; only a path that matches no route reaches authentication -> 401 `Authentication required`
  (config/authenticate.ts: no token -> "Authentication required", a bad one -> "Invalid token").
- src/middleware/securityConfig.ts: cors answers every preflight (`OPTIONS` -> 204) before the limiter.
- src/middleware/rateLimiter.ts: express-rate-limit, 100 per 60 s, keyed on the socket address (`trust
  proxy` unset), a custom handler answering 429 "Too many requests, please try again later". Mounted twice
  (the same limiter, one store), each request counts twice: 50 requests a minute. `X-RateLimit-Limit` /
  `X-RateLimit-Remaining` on every counted answer (the second mount's, when it ran); a 429 carries
  `Retry-After` = the seconds left in the client's window (express-rate-limit 7's MemoryStore: a fixed
  window per client from its first hit). Body-parser sits between the mounts: malformed JSON is rejected
  after one count. Each process has its own counter: `restart()` is a new ECS task.
- src/middleware/validateRequest.ts: schema fields checked in order; a missing required field -> 400
  `{"message": "Required field missing: <field>"}`, a failing validator -> 400 with its message.
- src/api/Member/memberRoutes.ts, src/api/Account/accountRoutes.ts, src/api/Credex/credexRoutes.ts: the
  POST routes below; `/v1/offerCredex` no longer exists (renamed `/v1/createCredex`), so it is an unknown
  path. createCredex with a negative `InitialAmount` -> 400 `Invalid amount: must be a positive finite
  number`, with or without a token. onboardMember -> 201 `{memberDashboard, token, defaultAccountID}` and
  needs an active Daynode, else 400 `could not onboard member`.
Error bodies carry `message`, the field read by the suite; their other fields are not modelled. Answers
the measurements do not pin down (e.g. login of an unknown phone) are marked "not measured".

Switchable bad behaviour for tests: `mode` error500 | wrong_body, `delay_seconds`, `healthy_when` (tie
health to outside state, e.g. the ECS revision moto runs), `daynode_active`, and `answers`: (method, path
prefix) -> (status, body) answered instead of the route, before the body is parsed (counted as usual), to
make the app break one part of its contract.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from .loopback import LoopbackHTTPServer

PRODUCTION_NODE_ENV = "production"  # the NODE_ENV under which credex-core mounts no devadmin routes
LIMIT = 100  # express-rate-limit `max` in src/middleware/rateLimiter.ts
MOUNTS = 2  # the limiter is applied in applySecurityMiddleware and again after body-parser (src/index.ts)
TOO_MANY = b"Too many requests, please try again later"
DENOMINATIONS = {"CXX", "CAD", "USD", "XAU", "ZWG"}
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", re.I)
_PHONE = re.compile(r"^\+?[1-9]\d{1,14}$")
_HANDLE = re.compile(r"^[a-z0-9_]{3,30}$")


@dataclass
class _Client:
    hits: int = 0
    reset_at: float = 0.0


@dataclass
class ExpressRateLimit:
    """express-rate-limit's fixed window per client key, as its MemoryStore keeps it."""

    limit: int = LIMIT
    window_seconds: float = 60.0
    clock: Callable[[], float] = time.monotonic
    clients: dict[str, _Client] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def hit(self, key: str) -> tuple[int, float]:
        """Count one hit; the client's hits in its window and the seconds left in it."""
        with self.lock:
            now = self.clock()
            client = self.clients.setdefault(key, _Client(reset_at=now + self.window_seconds))
            if client.reset_at <= now:
                client.hits, client.reset_at = 0, now + self.window_seconds
            client.hits += 1
            return client.hits, client.reset_at - now


class ApiServer(LoopbackHTTPServer):
    """credex-core on 127.0.0.1:<free port>. `requests` lists (method, path) of every request in order."""

    def __init__(self, window_seconds: float = 60.0, node_env: str = "development") -> None:
        self.mode = "healthy"  # healthy | error500 | wrong_body
        self.delay_seconds = 0.0
        self.healthy_when: Callable[[], bool] | None = None
        self.daynode_active = True
        self.node_env = node_env
        self.window_seconds = window_seconds
        self.limiter = ExpressRateLimit(window_seconds=window_seconds)
        self.requests: list[tuple[str, str]] = []
        self.arrivals: list[tuple[float, str, str]] = []  # (monotonic time, method, path)
        self.members: dict[str, dict] = {}  # phone -> member
        self.answers: dict[tuple[str, str], tuple[int, object]] = {}
        super().__init__(self._handler(), poll_interval=0.05)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def restart(self) -> None:
        """A new process of the app (a new ECS task): its limiter starts empty."""
        self.limiter = ExpressRateLimit(window_seconds=self.window_seconds)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: object = None, headers: dict[str, str] | None = None) -> None:
                if isinstance(body, bytes):
                    data, kind = body, "text/html; charset=utf-8"
                else:
                    data, kind = (b"" if body is None else json.dumps(body).encode()), "application/json"
                self.send_response(status)
                for name, value in {**self._limit_headers, **(headers or {})}.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _count(self) -> bool:
                """One mount of the limiter: False when it answered 429 (and the request ends there)."""
                hits, left = server.limiter.hit(self.client_address[0])
                self._limit_headers = {
                    "X-RateLimit-Limit": str(server.limiter.limit),
                    "X-RateLimit-Remaining": str(max(server.limiter.limit - hits, 0)),
                }
                if hits > server.limiter.limit:
                    self._send(429, TOO_MANY, {"Retry-After": str(max(0, math.ceil(left)))})
                    return False
                return True

            def _handle(self, method: str) -> None:
                self._limit_headers: dict[str, str] = {}
                parts = urllib.parse.urlsplit(self.path)
                path, query = parts.path, urllib.parse.parse_qs(parts.query)
                server.requests.append((method, self.path))
                server.arrivals.append((time.monotonic(), method, self.path))
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                override = next(
                    (a for (m, p), a in server.answers.items() if m == method and path.startswith(p)), None
                )
                if method == "OPTIONS":  # cors preflight, before the limiter
                    if override is not None:
                        return self._send(*override)
                    return self._send(
                        204,
                        headers={
                            "Access-Control-Allow-Origin": "*",
                            "Access-Control-Allow-Methods": "GET,POST,PUT,PATCH,DELETE",
                            "Access-Control-Allow-Headers": "Content-Type,Authorization",
                        },
                    )
                if not self._count():
                    return None
                if override is not None:
                    return self._send(*override) if all(self._count() for _ in range(MOUNTS - 1)) else None
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError as error:  # body-parser, between the two limiter mounts
                    return self._send(400, {"message": f"Unexpected token in JSON: {error.msg}"})
                for _ in range(MOUNTS - 1):
                    if not self._count():
                        return None
                if server.delay_seconds:
                    time.sleep(server.delay_seconds)
                if server.mode == "error500" or (server.healthy_when and not server.healthy_when()):
                    return self._send(500, {"message": "Internal Server Error"})
                if method == "GET" and path == "/health":
                    return self._send(
                        200, {"status": "OK"} if server.mode == "wrong_body" else {"status": "healthy"}
                    )
                if method == "GET" and path == "/api-docs":
                    return self._send(301, b"", {"Location": "/api-docs/"})
                if method == "GET" and path == "/api-docs/":
                    return self._send(200, b"<html><title>Swagger UI</title></html>")
                route = _ROUTES.get((method, path))
                if route is None and server.node_env != PRODUCTION_NODE_ENV:
                    route = _DEV_ROUTES.get((method, path))
                if route is not None:
                    return getattr(self, route)(body if isinstance(body, dict) else {}, query)
                return self._unauthenticated()

            def _unauthenticated(self) -> None:
                """applyAuthMiddleware: only requests that matched no route get here."""
                header = self.headers.get("Authorization", "")
                token = header.split(" ")[1] if " " in header else ""
                if not token:
                    return self._send(401, {"message": "Authentication required"})
                if not any(m["token"] == token for m in server.members.values()):
                    return self._send(401, {"message": "Invalid token"})
                return self._send(404, {"message": "Not Found"})  # authenticated, but no such route

            def _invalid(
                self, body: dict, schema: tuple[tuple[str, bool, Callable[[object], str | None]], ...]
            ):
                """validateRequest: fields in schema order; the first problem, or None."""
                for name, required, check in schema:
                    if name not in body:
                        if required:
                            return f"Required field missing: {name}"
                        continue
                    problem = check(body[name])
                    if problem:
                        return problem
                return None

            # --- Member (src/api/Member) -----------------------------------------------------------------
            def login(self, body: dict, query: dict) -> None:
                problem = self._invalid(body, (("phone", True, _phone),))
                if problem:
                    return self._send(400, {"message": problem})
                member = server.members.get(str(body["phone"]))
                if member is None:  # not measured
                    return self._send(400, {"message": "Failed to login member"})
                return self._send(200, {"token": member["token"]})

            def onboard_member(self, body: dict, query: dict) -> None:
                problem = self._invalid(
                    body,
                    (
                        ("firstname", True, _name),
                        ("lastname", True, _name),
                        ("phone", True, _phone),
                        ("defaultDenom", True, _denomination),
                    ),
                )
                if problem:
                    return self._send(400, {"message": problem})
                if not server.daynode_active or str(body["phone"]) in server.members:
                    return self._send(400, {"message": "could not onboard member"})
                member_id, account_id = str(uuid.uuid4()), str(uuid.uuid4())
                dashboard = {
                    "memberID": member_id,
                    "firstname": body["firstname"],
                    "lastname": body["lastname"],
                    "memberHandle": str(body["phone"]),
                    "defaultDenom": body["defaultDenom"],
                    "memberTier": 1,
                    "accountIDS": [account_id],
                }
                token = uuid.uuid4().hex
                server.members[str(body["phone"])] = {"token": token, "memberDashboard": dashboard}
                return self._send(
                    201, {"memberDashboard": dashboard, "token": token, "defaultAccountID": account_id}
                )

            def get_member_by_handle(self, body: dict, query: dict) -> None:
                problem = self._invalid(body, (("memberHandle", True, _handle),))
                if problem:
                    return self._send(400, {"message": problem})
                for member in server.members.values():
                    dashboard = member["memberDashboard"]
                    if dashboard["memberHandle"] == body["memberHandle"]:
                        name = f"{dashboard['firstname']} {dashboard['lastname']}"
                        return self._send(
                            200, {"memberData": {"memberID": dashboard["memberID"], "memberName": name}}
                        )
                return self._send(404, {"message": "Member not found"})

            def get_member_dashboard_by_phone(self, body: dict, query: dict) -> None:
                problem = self._invalid(body, (("phone", True, _phone),))
                if problem:
                    return self._send(400, {"message": problem})
                member = server.members.get(str(body["phone"]))
                if member is None:
                    return self._send(404, {"message": "Member not found"})
                return self._send(200, {"memberDashboard": member["memberDashboard"]})

            # --- Account (src/api/Account) ---------------------------------------------------------------
            def get_account_by_handle(self, body: dict, query: dict) -> None:
                problem = self._invalid(body, (("accountHandle", True, _handle),))
                return (
                    self._send(400, {"message": problem})
                    if problem
                    else self._send(404, {"message": "Account not found"})
                )

            # --- Credex (src/api/Credex) -----------------------------------------------------------------
            def create_credex(self, body: dict, query: dict) -> None:
                problem = self._invalid(
                    body,
                    (
                        ("memberID", False, _uuid),
                        ("issuerAccountID", False, _uuid),
                        ("receiverAccountID", False, _uuid),
                        ("Denomination", False, _denomination),
                        ("InitialAmount", False, _amount),
                    ),
                )
                if problem:
                    return self._send(400, {"message": problem})
                return self._send(
                    400, {"message": "Error creating credex"}
                )  # not measured: needs the database

            def get_credex(self, body: dict, query: dict) -> None:
                values = {k: v[0] for k, v in query.items()}  # validateRequest(getCredexSchema, "query")
                problem = self._invalid(values, (("credexID", True, _uuid),))
                return (
                    self._send(400, {"message": problem})
                    if problem
                    else self._send(404, {"message": "Credex not found"})
                )

            def other_route(self, body: dict, query: dict) -> None:
                return self._send(400, {"message": "Invalid request"})  # not measured: a validation error

            # --- devadmin (src/api/DevAdmin, not mounted in production) ---------------------------------
            def clear_dev_dbs(self, body: dict, query: dict) -> None:
                server.members.clear()  # destructive: what credex-core's own integration tests call first
                server.daynode_active = False
                return self._send(200, {"message": "Dev databases cleared"})

            def force_dco(self, body: dict, query: dict) -> None:
                server.daynode_active = True
                return self._send(200, {"message": "DCO forced"})

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._handle("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._handle("POST")

            def do_PUT(self) -> None:  # noqa: N802
                self._handle("PUT")

            def do_OPTIONS(self) -> None:  # noqa: N802
                self._handle("OPTIONS")

        return Handler


# (method, path) -> handler method: the routes of the Member, Account and Credex routers under /v1.
_ROUTES = {
    ("POST", "/v1/login"): "login",
    ("POST", "/v1/onboardMember"): "onboard_member",
    ("POST", "/v1/getMemberByHandle"): "get_member_by_handle",
    ("POST", "/v1/getMemberDashboardByPhone"): "get_member_dashboard_by_phone",
    ("POST", "/v1/getAccountByHandle"): "get_account_by_handle",
    ("POST", "/v1/createCredex"): "create_credex",
    ("POST", "/v1/getCredex"): "get_credex",
    **{
        ("POST", f"/v1/{name}"): "other_route"
        for name in (
            "authForTierSpendLimit", "setDCOparticipantRate", "createAccount", "updateAccount",
            "authorizeForAccount", "unauthorizeForAccount", "updateSendOffersTo", "acceptCredex",
            "acceptCredexBulk", "declineCredex", "cancelCredex",
        )
    },
}  # fmt: skip
_DEV_ROUTES = {
    ("POST", "/v1/devadmin/clearDevDBs"): "clear_dev_dbs",
    ("POST", "/v1/devadmin/forceDCO"): "force_dco",
}


def _phone(value: object) -> str | None:
    return None if _PHONE.match(str(value)) else "Invalid phone number"


def _name(value: object) -> str | None:
    return None if isinstance(value, str) and 1 <= len(value) <= 50 else "Invalid name"


def _handle(value: object) -> str | None:
    return None if isinstance(value, str) and _HANDLE.match(value) else "Invalid handle"


def _uuid(value: object) -> str | None:
    return None if isinstance(value, str) and _UUID.match(value) else "Invalid UUID format"


def _denomination(value: object) -> str | None:
    return None if value in DENOMINATIONS else "Invalid denomination"


def _amount(value: object) -> str | None:
    """createCredexSchema: `Number(value)`, then validateAmount."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if math.isfinite(number) and number > 0:
        return None
    return "Invalid amount: must be a positive finite number"
