"""Bad input to verification: missing thresholds, unknown environments, turning production's checks off."""

from __future__ import annotations

import pytest

from credex_orchestration.environments import (
    EnvironmentsFileError,
    UnknownEnvironmentError,
    load_environments,
)
from credex_orchestration.verification.definitions import build, verify_run_request

from .support.environments import local_environments_file


def test_a_missing_threshold_names_the_file_environment_and_field(tmp_path) -> None:
    path = local_environments_file(
        tmp_path, overrides={"staging": {"verification.benchmark.max_p95_ms": None}}
    )
    with pytest.raises(EnvironmentsFileError) as error:
        load_environments(path)
    assert f"{path}: environment 'staging', field 'verification.benchmark.max_p95_ms'" in str(error.value)


def test_a_zero_health_budget_is_refused(tmp_path) -> None:
    path = local_environments_file(
        tmp_path, overrides={"development": {"verification.health.latency_budget_ms": 0}}
    )
    with pytest.raises(EnvironmentsFileError, match="verification.health.latency_budget_ms"):
        load_environments(path)


def test_a_protected_environment_cannot_turn_verification_off(tmp_path) -> None:
    path = local_environments_file(tmp_path, overrides={"production": {"verification.enabled": False}})
    with pytest.raises(EnvironmentsFileError, match="a protected environment is always verified"):
        load_environments(path)
    # Protection is data: the same environment unprotected may turn it off (its first build, say).
    path = local_environments_file(
        tmp_path, overrides={"production": {"verification.enabled": False, "protected": False}}
    )
    assert load_environments(path)["production"].verification.enabled is False


def test_an_environment_with_verification_off_gets_no_checks(tmp_path) -> None:
    path = local_environments_file(tmp_path, overrides={"development": {"verification.enabled": False}})
    defs = build(load_environments(path))
    jobs = {job.name for job in defs.jobs}
    assert jobs == {"verify_staging", "verify_production"}


def test_verifying_an_unknown_environment_names_the_known_ones() -> None:
    environments = load_environments()
    with pytest.raises(UnknownEnvironmentError) as error:
        verify_run_request(environments, "prod")
    assert str(error.value).startswith("unknown environment 'prod'")
    assert "development, staging, production" in str(error.value)
    request = verify_run_request(environments, "staging")
    assert request.job_name == "verify_staging" and request.tags == {"credex/environment": "staging"}


def test_production_runs_only_read_only_integration_tests(tmp_path) -> None:
    from credex_orchestration.verification.app import integration_read_only

    path = local_environments_file(
        tmp_path, overrides={"production": {"verification.integration_read_only": False}}
    )
    environments = load_environments(path)
    assert integration_read_only(environments["production"]) is True
    assert integration_read_only(environments["development"]) is False
    assert integration_read_only(environments["staging"]) is False


def test_one_runs_requests_fit_in_the_apis_minute_with_the_reserve() -> None:
    """50 requests a minute (credex-core's limiter counted twice): a run's health, probe, suite and the fewest
    benchmark answers that make a verdict fit beside the reserve, so a first run never waits."""
    from credex_orchestration.verification.authentication import DATA_ROUTES
    from credex_orchestration.verification.integration import requests_of

    for name in ("development", "staging", "production"):
        settings = load_environments()[name].verification
        needed = settings.health.consecutive + len(DATA_ROUTES) + requests_of(read_only=False)
        needed += settings.benchmark.min_requests
        assert needed + settings.rate_limit.reserve_requests <= 50, name
        # A second run within the minute may wait for the window: its wait budget allows a whole one.
        assert settings.rate_limit.max_wait_seconds > settings.rate_limit.window_seconds


def test_a_benchmark_rate_below_its_throughput_threshold_is_refused(tmp_path) -> None:
    path = local_environments_file(
        tmp_path, overrides={"staging": {"verification.benchmark.rate_per_second": 0.2}}
    )
    with pytest.raises(EnvironmentsFileError) as error:
        load_environments(path)
    assert "environment 'staging', field 'verification.benchmark'" in str(error.value)
    assert "rate_per_second 0.2 is below min_throughput_rps 0.5" in str(error.value)
