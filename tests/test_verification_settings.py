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


def test_the_default_checks_stay_inside_the_apis_rate_limit() -> None:
    from credex_orchestration.verification.integration import SUITE

    settings = load_environments()["staging"].verification
    suite_requests = sum(path.read_text().count("api.request(") for path in SUITE.glob("test_*.py"))
    after_rollback = 2 * settings.health.consecutive
    assert settings.benchmark.requests + after_rollback + suite_requests <= 50
