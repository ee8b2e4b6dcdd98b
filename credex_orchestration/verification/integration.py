"""Check 5: the integration suite in `integration_suite/`, run against a base URL in its own pytest process.

A subprocess keeps the suite's imports, fixtures and failures out of the Dagster step, bounds its time, and
gives a junit XML report from which every test's result becomes metadata. Production (or any environment
with `integration_read_only`) runs only the `read_only` tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from .outcome import Outcome

SUITE = Path(__file__).resolve().parent / "integration_suite"
READ_ONLY = "read_only"
ALL = "read_only or creates_data"
_PASSED = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"}


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
) -> Outcome:
    selection = READ_ONLY if read_only else ALL
    with tempfile.TemporaryDirectory(prefix="credex-integration-") as work:
        junit, ini = Path(work) / "junit.xml", Path(work) / "pytest.ini"
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
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        facts = {"base_url": base_url, "selection": selection, "read_only": read_only}
        try:
            finished = subprocess.run(
                command, env=env, cwd=work, capture_output=True, text=True, timeout=timeout_seconds
            )
        except subprocess.TimeoutExpired:
            return Outcome.fail(f"integration suite did not finish within {timeout_seconds:g}s", **facts)
        if not junit.exists():
            tail = (finished.stdout + finished.stderr).strip().splitlines()[-5:]
            return Outcome.fail(
                f"integration suite did not run (exit {finished.returncode})", **facts, output_tail=tail
            )
        results = _results(junit)
    failed = sorted(name for name, verdict in results.items() if verdict.startswith("failed"))
    passed = sorted(name for name, verdict in results.items() if verdict == "passed")
    facts.update(tests=results, passed=len(passed), failed=len(failed), exit_code=finished.returncode)
    if not results:
        return Outcome.fail(f"integration suite selected no tests ({selection})", **facts)
    if failed or finished.returncode != 0:
        return Outcome.fail(
            f"{len(failed)} of {len(results)} integration tests failed: {', '.join(failed)}", **facts
        )
    return Outcome.ok(f"{len(passed)} integration tests passed ({selection})", **facts)
