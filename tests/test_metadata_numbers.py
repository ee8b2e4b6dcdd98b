"""Numbers stay numbers in check metadata: a benchmark figure that could not be measured is stored as a float
(NaN, a gap in the UI's plot), never as text, so every latency and duration plots across runs."""

from __future__ import annotations

import math

from dagster import AssetKey, DagsterInstance, Definitions, asset, asset_check, define_asset_job

from credex_orchestration.verification.outcome import Outcome
from credex_orchestration.verification.results import BENCHMARK, result

KEY = AssetKey(["development", "app"])


def _stored_metadata(outcome: Outcome):
    @asset(key=KEY)
    def app() -> None:
        return None

    @asset_check(asset=app, name=BENCHMARK)
    def benchmark():
        from dagster import AssetCheckSeverity

        return result(KEY, BENCHMARK, outcome, AssetCheckSeverity.WARN)

    defs = Definitions(assets=[app], asset_checks=[benchmark], jobs=[define_asset_job("j", [app])])
    instance = DagsterInstance.ephemeral()
    run = defs.resolve_job_def("j").execute_in_process(instance=instance)
    [evaluation] = run.get_asset_check_evaluations()
    return evaluation.metadata


def test_a_missing_latency_is_a_float_like_a_measured_one() -> None:
    measured = _stored_metadata(Outcome.ok("ok", p50_ms=12.5, elapsed_seconds=3.25, sent=30))
    missing = _stored_metadata(
        Outcome.fail("all rate-limited", p50_ms=float("nan"), elapsed_seconds=3.0, sent=30)
    )
    for name in ("p50_ms", "elapsed_seconds"):
        assert type(measured[name]).__name__ == "FloatMetadataValue", name
        assert type(missing[name]) is type(measured[name]), name
    assert math.isnan(missing["p50_ms"].value) and measured["p50_ms"].value == 12.5
    assert type(missing["sent"]).__name__ == "IntMetadataValue"
