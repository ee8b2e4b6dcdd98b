"""The checks inside Dagster: deploy runs them, a failed blocking check rolls the service back, verify runs alone.

Real parts: Terraform on the fixture roots, moto in server mode (ECS with running tasks, ELBv2, EC2, Logs,
Secrets Manager, ACM), and a loopback HTTP server standing in for the API whose health follows the ECS
revision moto runs. The fixture app root's task definition revision is the image tag's first hex digit,
and the test registers the same revisions in moto (what the real app root does with AWS).
"""

from __future__ import annotations

import pytest
from dagster import AssetCheckKey, AssetCheckSeverity, AssetKey, DagsterInstance

from credex_orchestration.definitions import build_definitions
from credex_orchestration.deploy.config import deploy_run_config
from credex_orchestration.lib.http_probe import probe
from credex_orchestration.notifications.message import report
from credex_orchestration.resources import AwsResource
from credex_orchestration.verification import checks
from credex_orchestration.verification.app import AppVerification
from credex_orchestration.verification.revisions import Revision, last_verified, verified_observation

from .support.api_server import ApiServer
from .support.aws_world import World, ecs_moto
from .support.environments import local_environments

GOOD, BAD = "1abc123", "2def456"
AMI = "ami-0123456789abcdef0"


@pytest.fixture(scope="module")
def moto():
    with ecs_moto() as server:
        yield server


WINDOW = 3.0  # the stand-in's limiter window here: runs in a row wait seconds, not a minute, for budget


@pytest.fixture
def api():
    with ApiServer(window_seconds=WINDOW) as server:
        yield server


@pytest.fixture
def setup(request, moto, api, tmp_path, terraform):
    moto.reset()
    extra = getattr(request, "param", {})
    environments = local_environments(
        tmp_path,
        overrides={
            "development": {
                "base_url": api.url,
                "verification.poll_interval_seconds": 0.1,
                "verification.rollout_timeout_seconds": 5,
                "verification.request_timeout_seconds": 2,
                "verification.integration_timeout_seconds": 60,
                "verification.benchmark.requests": 8,
                "verification.benchmark.concurrency": 2,
                "verification.benchmark.rate_per_second": 20,
                "verification.benchmark.min_requests": 4,
                "verification.rate_limit.window_seconds": WINDOW,
                "verification.rate_limit.max_wait_seconds": 10,
                "verification.health.latency_budget_ms": 5000,  # a loaded test machine is not a slow API
                **extra,
            }
        },
    )
    env = environments["development"]
    world = World(env, moto.endpoint_url)
    made = world.network()
    world.register_target(made["target_group"])
    world.https_listener(made["balancer"], world.issued_certificate())
    world.databases(made)
    defs = build_definitions(
        environments, resources={"terraform": terraform, "aws": AwsResource(endpoint_url=moto.endpoint_url)}
    )
    instance = DagsterInstance.ephemeral()
    defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=instance,
        asset_selection=[AssetKey(["neo4j_ami", "community"])],
        run_config={"ops": {"neo4j_ami__community": {"config": {"ami_id": AMI}}}},
    )

    def run(job: str, git_sha: str | None = None):
        config = deploy_run_config(env, git_sha=git_sha) if git_sha else {}
        return defs.resolve_job_def(job).execute_in_process(
            run_config=config, instance=instance, raise_on_error=False
        )

    return env, world, run, instance


def _evaluations(result) -> dict[str, object]:
    found = {}
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            found[f"{evaluation.asset_key.path[-1]}:{evaluation.check_name}"] = evaluation
    return found


def _meta(evaluation) -> dict:
    return {name: value.value for name, value in evaluation.metadata.items()}


def _check_events(result) -> list:
    return [event for event in result.all_events if event.event_type_value == "ASSET_CHECK_EVALUATION"]


def _observed(instance, kind: str) -> list[dict]:
    """Metadata of the observations on development/app tagged `credex/verification: kind`, newest first."""
    records = instance.fetch_observations(AssetKey(["development", "app"]), limit=50).records
    return [
        {name: value.value for name, value in record.asset_observation.metadata.items()}
        for record in records
        if record.asset_observation.tags.get("credex/verification") == kind
    ]


def test_a_failed_blocking_check_rolls_back_to_the_last_passing_revision(setup, api) -> None:
    env, world, run, instance = setup
    good = world.app(GOOD)
    first = run("deploy_development", GOOD)
    evaluations = _evaluations(first)
    # Only the finding fails, as a warning: credex-core's data routes answer without a token.
    failing = {n: e.severity for n, e in evaluations.items() if not e.passed}
    assert first.success and failing == {"app:api_authentication": AssetCheckSeverity.WARN}
    # connectors 3, databases 3, app 8: exactly the post-deploy checks ran inside the deploy
    assert len(set(evaluations)) == 14
    assert _meta(evaluations["app:ecs_status"])["running_task_definition"] == good
    assert _meta(evaluations["app:ecs_tasks_current"])["tasks"][0]["task_definition"] == good
    assert _meta(evaluations["app:integration_tests"])["selection"] == "read_only or creates_data"
    assert _meta(evaluations["app:performance_benchmark"])["p50_ms"] > 0
    plotted = _observed(instance, "benchmark")[0]  # the benchmark's numbers on the asset, as floats
    assert plotted["benchmark_p50_ms"] == _meta(evaluations["app:performance_benchmark"])["p50_ms"]
    recorded = last_verified(instance, "development")
    assert recorded is not None and recorded.task_definition_arn == good and recorded.image_tag == GOOD

    bad = world.deploy(BAD)  # what the app root does for a new image: new revision, service moved to it
    api.healthy_when = lambda: world.running() != bad  # the new revision answers 500
    result = run("deploy_development", BAD)
    assert not result.success
    evaluations = _evaluations(result)
    health = evaluations["app:api_health"]
    assert not health.passed and "HTTP 500" in health.description
    record = _meta(health)["rollback"]
    assert record["rolled_back"] is True
    assert (record["from_task_definition"], record["to_task_definition"]) == (bad, good)
    assert record["why"].startswith("api_health: ") and record["healthy_after_rollback"] is True, record
    assert world.running() == good  # the service is back on the previous revision
    assert evaluations["app:ecs_status"].passed  # the bad revision was the one this run deployed
    assert "not run" in evaluations["app:integration_tests"].description
    assert last_verified(instance, "development").task_definition_arn == good  # the bad one never recorded
    assert _observed(instance, "rolled_back")

    # Verifying alone afterwards: Terraform says the bad revision, ECS runs the good one; no rollback, no change.
    verify = run("verify_development")
    evaluations = _evaluations(verify)
    assert not verify.success and not evaluations["app:ecs_status"].passed
    assert "verification-only run: no rollback" in _meta(evaluations["app:ecs_status"])["rollback"]["why_not"]
    assert {step.step_key for step in verify.get_step_success_events()} == {
        "development__connectors_checks",
        "development__databases_checks",
    }
    assert world.running() == good


def test_the_app_checks_run_without_dagster_in_the_same_order(setup, api, moto, terraform) -> None:
    """`AppVerification` is what the asset check runs; the benchmark's plain script calls it directly."""
    env, world, run, instance = setup
    good = world.app(GOOD)
    assert run("deploy_development", GOOD).success
    lines: list[str] = []
    aws = AwsResource(endpoint_url=moto.endpoint_url)
    outcomes = AppVerification.connect(env, aws, terraform, lines.append).run()
    assert list(outcomes) == list(checks.APP_CHECKS)
    assert {name for name, outcome in outcomes.items() if not outcome.passed} == {"api_authentication"}
    assert outcomes["ecs_status"].metadata["running_task_definition"] == good
    assert any("healthy" in line for line in lines)
    api.mode = "error500"
    failing = AppVerification.connect(env, aws, terraform, lines.append).run()
    assert not failing["api_health"].passed and "HTTP 500" in failing["api_health"].reason
    assert all(
        failing[name].metadata["not_run"]
        for name in ("api_authentication", "integration_tests", "performance_benchmark")
    )
    assert world.running() == good  # checking alone never rolls back


@pytest.mark.parametrize(
    "setup",
    [
        {
            "verification.benchmark_blocking": True,
            "verification.benchmark.max_p50_ms": 150,
            "verification.benchmark.max_p95_ms": 5000,
            "verification.benchmark.max_p99_ms": 5000,
        }
    ],
    indirect=True,
)
def test_a_blocking_benchmark_over_its_threshold_rolls_back_too(setup, api) -> None:
    env, world, run, instance = setup
    good = world.app(GOOD)
    # The record an earlier passing run leaves (the previous test makes it through a real deploy).
    instance.report_runless_asset_event(
        verified_observation("development", Revision(good, GOOD, "earlier-run"))
    )
    bad = world.deploy(BAD)
    api.delay_seconds = 0.2  # healthy within the 5 s budget, but the p50 is over 150 ms
    result = run("deploy_development", BAD)
    evaluations = _evaluations(result)
    assert not result.success and evaluations["app:api_health"].passed
    benchmark = evaluations["app:performance_benchmark"]
    assert not benchmark.passed and "p50" in benchmark.description and "above 150 ms" in benchmark.description
    record = _meta(benchmark)["rollback"]
    assert record["rolled_back"] and (record["from_task_definition"], record["to_task_definition"]) == (
        bad,
        good,
    )
    assert world.running() == good
    # The failure's notification names the failed check, and shows the finding with its routes as a warning.
    text = report(
        result.dagster_run, result.get_step_failure_events(), _check_events(result), None, None
    ).text()
    assert "• failed check: development/app `performance_benchmark`: p50" in text
    assert "• warning: development/app `api_authentication`: 4 of 4 data routes answer without" in text
    assert "POST /v1/getMemberByHandle (HTTP 404)" in text


def test_the_first_deploy_failing_has_nothing_to_roll_back_to(setup, api) -> None:
    env, world, run, instance = setup
    first = world.app(GOOD)
    api.mode = "error500"
    result = run("deploy_development", GOOD)
    assert not result.success
    record = _meta(_evaluations(result)["app:api_health"])["rollback"]
    assert record["rolled_back"] is False and "nothing to roll back to" in record["why_not"]
    assert world.running() == first and last_verified(instance, "development") is None


def test_an_unresolvable_base_url_is_a_failed_blocking_check(setup, moto, terraform, tmp_path) -> None:
    env, world, run, instance = setup
    world.app(GOOD)
    (tmp_path / "dns").mkdir()
    environments = local_environments(
        tmp_path / "dns",
        overrides={
            "development": {
                "base_url": "http://credex-core.invalid",
                "verification.poll_interval_seconds": 0.1,
            }
        },
    )
    defs = build_definitions(
        environments, resources={"terraform": terraform, "aws": AwsResource(endpoint_url=moto.endpoint_url)}
    )
    result = defs.resolve_job_def("verify_development").execute_in_process(
        instance=instance, raise_on_error=False
    )
    health = _evaluations(result)["app:api_health"]
    assert not health.passed and "DNS lookup failed" in health.description


def test_every_environment_has_its_checks_in_deploy_and_verify_jobs() -> None:
    defs = build_definitions(local_environments_for_shape())
    for env in ("development", "staging", "production"):
        app = AssetKey([env, "app"])
        deploy = defs.resolve_job_def(f"deploy_{env}")
        verify = defs.resolve_job_def(f"verify_{env}")
        expected = {AssetCheckKey(app, name) for name in checks.APP_CHECKS}
        assert expected <= set(deploy.asset_layer.asset_graph.asset_check_keys)
        assert verify.tags["credex/environment"] == env and verify.tags["credex/kind"] == "verify"
        # Checks only: the app's step runs without deploying (its asset is not selected).
        assert {node.name for node in verify.graph.node_defs} == {
            f"{env}__connectors_checks",
            f"{env}__databases_checks",
            f"{env}__app",
        }
        assert expected <= set(verify.asset_layer.asset_graph.asset_check_keys)
    graph = defs.resolve_asset_graph()
    blocking = {
        key.asset_key.path[0]: graph.get_check_spec(key).blocking
        for key in graph.asset_check_keys
        if key.name == "performance_benchmark"
    }
    assert blocking == {"development": False, "staging": True, "production": True}


def local_environments_for_shape():
    from credex_orchestration.environments import load_environments

    return load_environments()


def test_credentials_of_another_account_fail_every_check_and_change_nothing(
    moto, terraform, tmp_path
) -> None:
    moto.reset()
    environments = local_environments(tmp_path, overrides={"staging": {"aws.account_id": "111111111111"}})
    world = World(environments["staging"], moto.endpoint_url)
    running = world.app(GOOD)
    defs = build_definitions(
        environments, resources={"terraform": terraform, "aws": AwsResource(endpoint_url=moto.endpoint_url)}
    )
    result = defs.resolve_job_def("verify_staging").execute_in_process(
        instance=DagsterInstance.ephemeral(), raise_on_error=False
    )
    evaluations = _evaluations(result)
    assert len(evaluations) == 14 and not any(e.passed for e in evaluations.values())
    assert evaluations["app:api_health"].description == (
        "AWS session: AwsAccountMismatch: credentials belong to AWS account 000000000000, "
        "but the environment expects 111111111111"
    )
    assert world.running() == running


SLOW_WINDOW = 20.0  # outlasts starting the second run on a loaded machine, and fits in the checks' wait


@pytest.mark.parametrize(
    "setup",
    [
        {
            "verification.rate_limit.window_seconds": SLOW_WINDOW,
            "verification.rate_limit.max_wait_seconds": SLOW_WINDOW + 10,
        }
    ],
    indirect=True,
)
def test_two_verifications_within_a_minute_give_the_same_verdicts(setup, api) -> None:
    """The issue's second run: 429s, a benchmark of 0 of 30, health "rate limited", a rollback. Now the second
    verification waits for the app's window inside its time budget and decides as the first did."""
    env, world, run, instance = setup
    api.limiter.window_seconds = SLOW_WINDOW
    world.app(GOOD)
    first = run("deploy_development", GOOD)
    # Spend what the first run left of the window, as the ALB node's other traffic would: the second run
    # starts against a limiter answering 429.
    while probe(api.url + "/health", 2).status != 429:
        pass
    second = run("verify_development")
    verdicts = [
        {n: (e.passed, e.severity) for n, e in _evaluations(r).items() if n != "app:orphan_cleanup"}
        for r in (first, second)
    ]
    assert first.success and second.success and verdicts[0] == verdicts[1]
    waited = [_meta(e).get("rate_limit_waited_seconds", 0) for e in _evaluations(second).values()]
    assert sum(waited) > 0  # the second run did meet the limiter, and waited instead of failing
    assert not any("HTTP 429" in (e.description or "") for e in _evaluations(second).values())


def test_a_429_is_never_a_rollback(setup, api) -> None:
    """A real 60 s window: the budget is gone and its wait is longer than the checks may wait."""
    env, world, run, instance = setup
    api.limiter.window_seconds = 60
    good = world.app(GOOD)
    instance.report_runless_asset_event(
        verified_observation("development", Revision(good, GOOD, "earlier-run"))
    )
    bad = world.deploy(BAD)
    while probe(api.url + "/health", 2).status != 429:  # everyone else behind the ALB node spent the budget
        pass
    result = run("deploy_development", BAD)
    evaluations = _evaluations(result)
    health = evaluations["app:api_health"]
    assert result.success and not health.passed and health.severity == AssetCheckSeverity.WARN
    assert health.description.startswith("inconclusive: rate limited: the app answered 429, Retry-After")
    assert "rollback" not in _meta(health) and world.running() == bad  # no rollback
    assert last_verified(instance, "development").task_definition_arn == good  # nor recorded as verified
    assert all(
        "not run" in evaluations[f"app:{name}"].description
        for name in ("api_authentication", "integration_tests", "performance_benchmark")
    )
