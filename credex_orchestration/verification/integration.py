"""The integration suite in `integration_suite/`, run against a base URL in its own pytest process.

A subprocess keeps the suite's imports, fixtures and failures out of the Dagster step, bounds its time, and
gives a junit XML report from which every test's result becomes metadata. Production (or any environment
with `integration_read_only`) runs only the `read_only` tests.

The suite spends the run's request budget: the check reserves what the selection sends before starting
it (waiting for the app's window if need be), the suite waits out a 429's Retry-After within what is left
of the check's wait, and a test skipped as rate limited makes the outcome inconclusive, not failed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from pathlib import Path

from ..environments import RateLimitSettings
from ..lib.http_probe import Probe
from .integration_suite import REQUESTS
from .outcome import Outcome
from .rate_limit import RequestBudget

SUITE = Path(__file__).resolve().parent / "integration_suite"
READ_ONLY = "read_only"
ALL = "read_only or creates_data"
_PASSED = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"}
RATE_LIMITED = "skipped: inconclusive: rate limited"


def requests_of(read_only: bool) -> int:
    """Requests the selection sends (the limiter counts them; integration_suite.REQUESTS)."""
    return REQUESTS["read_only"] + (0 if read_only else REQUESTS["creates_data"])


def _last_answer(record: Path, base_url: str) -> Probe | None:
    """The suite's last answer as the budget reads it (status and rate-limit headers), if it sent any."""
    try:
        state = json.loads(record.read_text())
    except (OSError, ValueError):
        return None
    return Probe(base_url, state.get("status"), "", 0.0, headers=state.get("headers") or {})


def _results(junit: Path) -> dict[str, str]:
    """test id -> "passed" | "skipped: why" | "failed: why"."""
    results: dict[str, str] = {}
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        name = f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name')}"
        verdict = "passed"
        for tag, word in (("failure", "failed"), ("error", "failed"), ("skipped", "skipped")):
            found = case.find(tag)
            if found is not None:
                verdict = (
                    f"{word}: {(found.get('message') or found.text or '').strip().splitlines()[0][:300]}"
                )
                break
        results[name] = verdict
    return results


def run_suite(
    base_url: str,
    *,
    read_only: bool,
    timeout_seconds: float,
    request_timeout_seconds: float,
    suite: Path = SUITE,
    budget: RequestBudget | None = None,
    log: Callable[[str], None] = print,
) -> Outcome:
    selection = READ_ONLY if read_only else ALL
    budget = budget or RequestBudget(RateLimitSettings())
    facts = {"base_url": base_url, "selection": selection, "read_only": read_only}
    max_wait = min(budget.settings.max_wait_seconds, timeout_seconds / 2)
    waited_before = budget.waited_seconds
    why = budget.acquire(requests_of(read_only), max_wait, log)
    if why:
        return Outcome.undecided(f"{why} (integration suite)", **facts, **budget.facts())
    wait_left = max(0.0, max_wait - (budget.waited_seconds - waited_before))
    with tempfile.TemporaryDirectory(prefix="credex-integration-") as work:
        junit, ini, record = (
            Path(work) / "junit.xml",
            Path(work) / "pytest.ini",
            Path(work) / "rate-limit.json",
        )
        ini.write_text("[pytest]\naddopts = --strict-markers\n")
        command = [
            sys.executable, "-m", "pytest", str(suite), "-m", selection, "-q", "-p", "no:cacheprovider",
            "-c", str(ini), "--rootdir", str(suite), f"--junitxml={junit}",
        ]  # fmt: skip
        # Only what the suite needs: no AWS credentials or other secrets reach its process.
        env = {
            **{k: v for k, v in os.environ.items() if k in _PASSED or k.lower().endswith("_proxy")},
            "CREDEX_BASE_URL": base_url,
            "CREDEX_REQUEST_TIMEOUT": str(request_timeout_seconds),
            "CREDEX_RATE_LIMIT_WAIT": str(wait_left),
            "CREDEX_RATE_LIMIT_FILE": str(record),
            "PYTHONDONTWRITEBYTECODE": "1",
            # The suite needs no plugin; whatever else is installed with the orchestrator stays out of it.
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        }
        try:
            finished = subprocess.run(
                command, env=env, cwd=work, capture_output=True, text=True, timeout=timeout_seconds
            )
        except subprocess.TimeoutExpired:
            return Outcome.fail(f"integration suite did not finish within {timeout_seconds:g}s", **facts)
        finally:
            if (last := _last_answer(record, base_url)) is not None:
                budget.observe(last)
        if not junit.exists():
            tail = (finished.stdout + finished.stderr).strip().splitlines()[-5:]
            return Outcome.fail(
                f"integration suite did not run (exit {finished.returncode})", **facts, output_tail=tail
            )
        results = _results(junit)
    failed = sorted(name for name, verdict in results.items() if verdict.startswith("failed"))
    passed = sorted(name for name, verdict in results.items() if verdict == "passed")
    limited = sorted(name for name, verdict in results.items() if verdict.startswith(RATE_LIMITED))
    facts.update(
        tests=results,
        passed=len(passed),
        failed=len(failed),
        rate_limited_tests=len(limited),
        exit_code=finished.returncode,
        **budget.facts(),
    )
    if not results:
        return Outcome.fail(f"integration suite selected no tests ({selection})", **facts)
    if failed or finished.returncode != 0:
        return Outcome.fail(
            f"{len(failed)} of {len(results)} integration tests failed: {', '.join(failed)}", **facts
        )
    if limited:
        return Outcome.undecided(
            f"rate limited: {len(limited)} of {len(results)} integration tests could not run "
            f"({', '.join(limited)}); {len(passed)} passed",
            **facts,
        )
    return Outcome.ok(f"{len(passed)} integration tests passed ({selection})", **facts)
