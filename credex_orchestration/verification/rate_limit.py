"""One request budget per verification run, read from the app's own rate-limit headers (decision 0110).

credex-core's limiter (express-rate-limit, 100 per 60 s, mounted twice so each request counts twice: 50
requests a minute) is keyed on the socket address, and behind the load balancer that is the ALB node: the
ALB's own health checks and every user share the budget with verification. So a run never spends what the
app's headers say is left below a reserve, and a 429 is the limiter's answer, not the app's health: a
check waits for its `Retry-After` (the seconds left in the window), or for a whole window when the
headers say too little is left and no 429 told when it ends, within its time budget; else it ends
inconclusive (a warning, never a rollback).

What a request costs is measured, not assumed: the drop of `X-RateLimit-Remaining` between two answers
in a row (2 for the current app; 1 if it ever mounts the limiter once). Until two answers are seen the
current app's cost is assumed. A rise of `Remaining` is a new window or a new process (a new ECS task
starts with an empty counter): the budget takes the new value.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..environments import RateLimitSettings
from ..lib.http_probe import Probe

LIMIT, REMAINING, RETRY_AFTER = "X-RateLimit-Limit", "X-RateLimit-Remaining", "Retry-After"
ASSUMED_UNITS_PER_REQUEST = 2  # credex-core mounts its limiter twice; replaced by the measured drop
Log = Callable[[str], None]


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def retry_after_seconds(answer: Probe) -> float | None:
    """A 429's `Retry-After` in seconds (express-rate-limit sends whole seconds), None when absent."""
    seconds = _int(answer.headers.get(RETRY_AFTER) or answer.retry_after)
    return float(seconds) if seconds is not None and seconds >= 0 else None


@dataclass
class RequestBudget:
    """What the app's limiter still allows this run, shared by health, probes, suite and benchmark."""

    settings: RateLimitSettings
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    limit: int | None = None  # X-RateLimit-Limit: units per window
    remaining: int | None = None  # X-RateLimit-Remaining of the latest answer
    units_per_request: int | None = None  # measured
    rate_limited: int = 0  # 429 answers seen
    waited_seconds: float = 0.0
    blocked_until: float | None = None  # from a 429's Retry-After
    _previous: int | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def cost(self) -> int:
        return self.units_per_request or ASSUMED_UNITS_PER_REQUEST

    def observe(self, answer: Probe, in_a_row: bool = True) -> None:
        """Take an answer's headers; `in_a_row` when no request of this run was in flight beside it."""
        with self._lock:
            if answer.status == 429:
                self.rate_limited += 1
                self.remaining = 0
                wait = retry_after_seconds(answer)
                self.blocked_until = self.clock() + (self.settings.window_seconds if wait is None else wait)
                self._previous = None
                return
            remaining, limit = _int(answer.headers.get(REMAINING)), _int(answer.headers.get(LIMIT))
            if remaining is None:
                return  # no limiter header (an error page from the load balancer): nothing learnt
            self.limit = limit if limit is not None else self.limit
            if in_a_row and self._previous is not None and self._previous - remaining > 0:
                drop = self._previous - remaining
                self.units_per_request = min(drop, self.units_per_request or drop)
            self._previous = remaining if in_a_row else None
            self.remaining = remaining
            self.blocked_until = None

    def available(self) -> int | None:
        """Requests this run may still send now, keeping the reserve; None before any answer told."""
        if self.blocked_until is not None and self.clock() < self.blocked_until:
            return 0
        if self.remaining is None:
            return None
        spare = self.remaining - self.settings.reserve_requests * self.cost
        return max(0, spare // self.cost)

    def acquire(self, requests: int, max_wait_seconds: float, log: Log = print) -> str | None:
        """Make room for `requests` requests: None when they may be sent, else why not ("rate limited: ...").

        Waits for a 429's Retry-After, or a whole window when the headers leave too little, if that fits
        in `max_wait_seconds`. Before any answer nothing is known: the first requests go and tell.
        """
        available = self.available()
        if available is None or available >= requests:
            return None
        now = self.clock()
        blocked = self.blocked_until is not None and now < self.blocked_until
        wait = (self.blocked_until - now) if blocked else self.settings.window_seconds + 1
        why = (
            f"the app answered 429, Retry-After {math.ceil(wait)}s"
            if blocked
            else f"{requests} requests needed, {available} left in the app's budget above the reserve of "
            f"{self.settings.reserve_requests} (X-RateLimit-Remaining {self.remaining}, {self.cost} per request)"
        )
        if wait > max_wait_seconds:
            return f"rate limited: {why}; waiting {wait:.0f}s is over the {max_wait_seconds:g}s this check may wait"
        log(f"rate limit: {why}; waiting {wait:.1f}s for the app's window")
        self.sleep(wait)
        with self._lock:
            self.waited_seconds += wait
            self.blocked_until, self.remaining, self._previous = None, None, None
        return None

    def facts(self) -> dict[str, Any]:
        """What the budget knew at the end of a check (numbers only; an unknown one is left out)."""
        known = {
            "rate_limit_limit": self.limit,
            "rate_limit_remaining": self.remaining,
            "rate_limit_units_per_request": self.units_per_request,
        }
        return {
            **{k: v for k, v in known.items() if v is not None},
            "rate_limit_reserve_requests": self.settings.reserve_requests,
            "rate_limited_answers": self.rate_limited,
            "rate_limit_waited_seconds": round(self.waited_seconds, 1),
        }
