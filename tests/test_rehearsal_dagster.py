"""The rehearsal through Dagster: `deploy_development` on the real roots, the real AWS provider and moto.

One world for the module (the first deploy takes about four minutes, mostly the provider's own waiters):
moto as the rehearsal runs it (`credex_orchestration.rehearsal.moto_server`: moto with the AWS behaviours
it lacks put back, each named there), every environment prepared as a fresh account would be
(`rehearsal.seed`), a loopback stand-in of the credex-core API speaking its measured contract as each
environment's base URL, and the code location built from the rehearsal's environments file. The tests run
in file order on that one development environment: each starts from what the one before left.

The same world in the UI: dagster-webserver on its DAGSTER_HOME and headless Chromium show the rollback
run's plan diff and console links, and each failed run's first error (tests/support/rehearsal_ui.py). After
the first deploy, the failing deploy with its rollback and a verify run, everything the world stored is
scanned for its secrets (Secrets Manager's values and the run's AWS credentials) in every encoding.

Stood in, because moto cannot do it: ECS rollouts (moto reports a service COMPLETED with its desired count
running as soon as it exists: MOTO_ECS_SERVICE_RUNNING), EC2 status checks (ok as soon as an instance
runs), and the API itself (the stand-in).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from dagster import AssetKey, DagsterInstance, Definitions, RunsFilter

from credex_orchestration.definitions import build_definitions
from credex_orchestration.deploy.config import deploy_run_config
from credex_orchestration.environments import (
    DEFAULT_ENVIRONMENTS_FILE,
    PROJECT_ROOT,
    Environments,
    load_environments,
)
from credex_orchestration.rehearsal import seed
from credex_orchestration.rehearsal.api_stand_in import ApiServer
from credex_orchestration.rehearsal.environments_file import FIRST_IMAGE_TAG, write_rehearsal_environments
from credex_orchestration.rehearsal.moto_server import MotoProcess
from credex_orchestration.resources import AwsResource, TerraformResource
from credex_orchestration.verification.results import blocking_checks

from .support.rehearsal_ui import (
    assert_run_page_leads_with,
    browser_session,
    check_plan_and_links,
    rehearsal_webserver,
)
from .support.secret_scan import forms_of, scan, scan_s3, secrets_manager_values

SECOND_IMAGE_TAG = "2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e"
REGION = "af-south-1"
# The run's AWS credentials, as secret sentinels: moto accepts any, and nothing may store them.
ACCESS_KEY = "AKIAREHEARSAL0SENTNL"
SECRET_KEY = "rehearsal/Sentinel+Key=0123456789abcdefghij"
MIRROR = Path("/opt/tf-plugins")


@dataclass
class DagsterRehearsal:
    moto: MotoProcess
    api: ApiServer
    environments: Environments
    defs: Definitions
    instance: DagsterInstance
    terraform: TerraformResource
    home: Path
    environments_file: Path

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=self.moto.endpoint_url)

    def run(self, job: str, run_config: dict | None = None, **kwargs: Any):
        return self.defs.resolve_job_def(job).execute_in_process(
            run_config=run_config or {}, instance=self.instance, raise_on_error=False, **kwargs
        )

    def state_objects(self, environment: str) -> list[str]:
        bucket = self.environments[environment].state.bucket
        return [o["Key"] for o in self.client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])]


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DagsterRehearsal]:
    home = tmp_path_factory.mktemp("rehearsal")
    checked_in = load_environments(DEFAULT_ENVIRONMENTS_FILE)
    with (
        MotoProcess() as moto,
        ApiServer(node_env="development") as api,
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setenv("AWS_ENDPOINT_URL", moto.endpoint_url)  # Terraform's processes and boto3 alike
        patch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        patch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        # The world's temp files stay in its home, where the secret scan reads them.
        (home / "tmp").mkdir()
        patch.setenv("TMPDIR", str(home / "tmp"))
        patch.setattr(tempfile, "tempdir", str(home / "tmp"))
        amis = {}
        for name, environment in checked_in.items():
            amis[name] = seed.prepare(environment, moto.endpoint_url)
        path = write_rehearsal_environments(
            home, checked_in, amis, {name: api.url for name in checked_in}, moto.endpoint_url
        )
        environments = load_environments(path)
        terraform = TerraformResource(
            roots_dir="terraform", work_dir=str(home / "work"), s3_endpoint_url=moto.endpoint_url
        )
        defs = build_definitions(
            environments,
            resources={"terraform": terraform, "aws": AwsResource(endpoint_url=moto.endpoint_url)},
        )
        # The local instance's settings (dagster.yaml): its pools hold one writer per environment.
        settings = yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text())
        (home / "dagster_home").mkdir()
        # The same settings for dagster-webserver, which reads them from DAGSTER_HOME.
        (home / "dagster_home" / "dagster.yaml").write_text(yaml.safe_dump(settings))
        with DagsterInstance.local_temp(str(home / "dagster_home"), overrides=settings) as instance:
            yield DagsterRehearsal(moto, api, environments, defs, instance, terraform, home, path)


@pytest.fixture(scope="module")
def webserver(rehearsal: DagsterRehearsal):
    """dagster-webserver on the world's DAGSTER_HOME, its code location built from the same environments file."""
    with rehearsal_webserver(
        rehearsal.home, rehearsal.environments_file, rehearsal.moto.endpoint_url
    ) as server:
        yield server


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    with browser_session(tmp_path_factory.mktemp("chromium")) as session:
        yield session


def world_secrets(rehearsal: DagsterRehearsal) -> dict[str, str]:
    """Every secret the world knows: Secrets Manager's values (the Neo4j passwords) and the run's credentials."""
    secrets = secrets_manager_values(rehearsal.client("secretsmanager"))
    assert any(name.endswith("pass") for name in secrets), sorted(secrets)  # ledgerspacepass, searchspacepass
    return {**secrets, "aws access key id": ACCESS_KEY, "aws secret access key": SECRET_KEY}


def assert_nothing_stored_holds_a_secret(rehearsal: DagsterRehearsal, after: str) -> None:
    """The world's home (DAGSTER_HOME's SQLite and compute logs, the Terraform work dirs, its temp dir) and
    every version of every object in moto's S3 (the state), for every secret in every encoding."""
    secrets = world_secrets(rehearsal)
    hits = scan([rehearsal.home], secrets, mirror=MIRROR)
    stored, objects = scan_s3(rehearsal.client("s3"), secrets)
    forms = sum(len(variants) for variants in forms_of(secrets).values())
    print(
        f"\nsecret scan after {after}: {len(secrets)} sentinels ({forms} encoded forms) in {rehearsal.home} "
        f"and {objects} S3 object versions: {len(hits) + len(stored)} occurrence(s)"
    )
    assert hits + stored == []


def evaluations(result) -> dict[str, Any]:
    found = {}
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            found[f"{evaluation.asset_key.path[-1]}:{evaluation.check_name}"] = evaluation
    return found


def materialisations(result) -> dict[str, dict[str, Any]]:
    found = {}
    for event in result.all_events:
        if event.event_type_value == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            found[materialization.asset_key.path[-1]] = {
                k: v.value for k, v in materialization.metadata.items()
            }
    return found


def step_errors(result) -> str:
    """Every failed step's error with its causes (the step's own exception is the cause of Dagster's)."""
    lines = []
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.event_specific_data.error
            while error is not None:
                lines.append(str(error.message))
                error = error.cause
    return "\n".join(lines)


def test_a_first_deploy_of_development_passes_every_blocking_check(rehearsal: DagsterRehearsal) -> None:
    """What the UI's Materialize on deploy_development launches: the job with its default run config."""
    result = rehearsal.run("deploy_development")
    assert result.success, step_errors(result)
    found = evaluations(result)
    assert len(found) == 14, sorted(found)  # connectors 3, databases 3, app 8
    # Everything passes but the finding the real app earns (its data routes answer without a token: a WARN).
    failing = {name: e.severity.value for name, e in found.items() if not e.passed}
    assert failing == {"app:api_authentication": "WARN"}, {n: found[n].description for n in failing}
    environment = rehearsal.environments["development"]
    for name in blocking_checks(environment):
        assert found[f"app:{name}"].passed, found[f"app:{name}"].description
    for key in (
        "connectors:load_balancer_active",
        "connectors:certificate_issued",
        "databases:neo4j_secret_complete",
    ):
        assert found[key].passed, found[key].description
    applied = materialisations(result)
    assert {name: applied[name]["applied"] for name in applied} == {
        "connectors": True,
        "databases": True,
        "app": True,
    }
    assert applied["app"]["outputs"]["image_tag"] == FIRST_IMAGE_TAG
    # The state lives in the environment's bucket in (emulated) S3, one workspace per component.
    objects = rehearsal.state_objects("development")
    for component in ("connectors", "databases", "app"):
        assert f"env:/{component}_development/terraform.tfstate" in objects, objects


def test_the_first_deploy_stores_no_secret(rehearsal: DagsterRehearsal) -> None:
    assert_nothing_stored_holds_a_secret(rehearsal, "the first deploy")


def test_a_redeploy_with_nothing_changed_applies_nothing(rehearsal: DagsterRehearsal) -> None:
    result = rehearsal.run("deploy_development")
    assert result.success, step_errors(result)
    applied = materialisations(result)
    assert {name: (m["applied"], m["plan_has_changes"]) for name, m in applied.items()} == {
        "connectors": (False, False),
        "databases": (False, False),
        "app": (False, False),
    }, {name: m["changed_addresses"] for name, m in applied.items()}


def test_drift_reports_exactly_the_change_made_outside_terraform(rehearsal: DagsterRehearsal) -> None:
    logs = rehearsal.client("logs")
    logs.put_retention_policy(logGroupName="/ecs/credex-core-development", retentionInDays=7)
    # Every environment's drift checks; only development is deployed (the others have nothing to drift).
    result = rehearsal.run("drift_checks")
    found = {name: e for name, e in evaluations(result).items()}
    assert not found["app:no_drift"].passed
    assert found["app:no_drift"].metadata["drifted_addresses"].value == [
        "update: aws_cloudwatch_log_group.app"
    ]
    assert found["connectors:no_drift"].passed and found["databases:no_drift"].passed


def test_a_failed_blocking_check_rolls_back_to_the_previous_revision_which_stays_active(
    rehearsal: DagsterRehearsal,
) -> None:
    ecs = rehearsal.client("ecs")
    cluster, service = "credex-cluster-development", "credex-core-service-development"
    before = ecs.describe_services(cluster=cluster, services=[service])["services"][0]["taskDefinition"]
    # credex-core's CI pushed the new commit's image (the deploy refuses a SHA whose image is not in ECR).
    seed.push_image(rehearsal.environments["development"], rehearsal.moto.endpoint_url, SECOND_IMAGE_TAG)
    rehearsal.api.mode = "error500"  # the new image answers 500 on every route
    try:
        result = rehearsal.run(
            "deploy_development",
            deploy_run_config(rehearsal.environments["development"], git_sha=SECOND_IMAGE_TAG),
        )
    finally:
        rehearsal.api.mode = "healthy"
    assert not result.success
    found = evaluations(result)
    health = found["app:api_health"]
    assert not health.passed and "HTTP 500" in health.description
    record = health.metadata["rollback"].value
    assert record["rolled_back"] is True and record["to_task_definition"] == before, record
    assert record["from_task_definition"] != before
    running = ecs.describe_services(cluster=cluster, services=[service])["services"][0]["taskDefinition"]
    assert running == before
    # The revision the rollback went to is still ACTIVE: Terraform keeps old revisions (skip_destroy).
    assert ecs.describe_task_definition(taskDefinition=before)["taskDefinition"]["status"] == "ACTIVE"
    new = ecs.describe_task_definition(taskDefinition=record["from_task_definition"])["taskDefinition"]
    assert new["containerDefinitions"][0]["image"].endswith(SECOND_IMAGE_TAG)


def latest_run(rehearsal: DagsterRehearsal, job: str) -> str:
    [record] = rehearsal.instance.get_run_records(RunsFilter(job_name=job), limit=1)
    return record.dagster_run.run_id


def test_the_rollback_run_page_leads_with_the_cause_and_the_remedy(
    rehearsal: DagsterRehearsal, webserver, browser, tmp_path: Path
) -> None:
    run_id = latest_run(rehearsal, "deploy_development")
    assert_run_page_leads_with(
        webserver,
        browser,
        run_id,
        [
            "development/app: blocking check(s) failed: api_health:",
            "HTTP 500",
            "Rolled back to arn:aws:ecs:",
            # Not healthy after: the stand-in answers 500 whichever revision runs, until the test resets it.
            f"(image {FIRST_IMAGE_TAG}), NOT healthy",
            "Remedy: fix the commit and deploy its SHA with git_sha",
        ],
        tmp_path / "rollback-run.png",
    )


def test_the_ui_shows_the_plan_diff_and_the_console_links_of_the_change(
    rehearsal: DagsterRehearsal, webserver, browser, tmp_path: Path
) -> None:
    """The rollback run's app materialisation: its image change (a replaced task definition) and the log
    retention the drift test changed outside Terraform, put back."""
    check_plan_and_links(webserver, browser, tmp_path, world_secrets(rehearsal))


def test_the_failing_deploy_and_its_rollback_store_no_secret(rehearsal: DagsterRehearsal) -> None:
    assert_nothing_stored_holds_a_secret(rehearsal, "the failing deploy and its rollback")


def test_a_production_deploy_without_confirmation_changes_nothing(rehearsal: DagsterRehearsal) -> None:
    before = rehearsal.state_objects("production")
    result = rehearsal.run("deploy_production")
    assert not result.success
    assert "confirm_environment: production" in step_errors(result)
    assert rehearsal.state_objects("production") == before == []
    assert os.environ["AWS_ENDPOINT_URL"] == rehearsal.moto.endpoint_url


def test_the_refused_production_run_page_leads_with_the_refusal_and_what_to_do(
    rehearsal: DagsterRehearsal, webserver, browser, tmp_path: Path
) -> None:
    assert_run_page_leads_with(
        webserver,
        browser,
        latest_run(rehearsal, "deploy_production"),
        [
            "production/connectors: production is protected",
            "must set confirm_environment: production in the run config of op production__connectors",
            "refused, nothing was run",
        ],
        tmp_path / "refused-run.png",
    )


def test_a_missing_state_bucket_is_the_run_page_first_error_with_its_remedy(
    rehearsal: DagsterRehearsal, webserver, browser, tmp_path: Path
) -> None:
    """Staging pointed at a state bucket nobody created (a temporary environments file; nothing deleted)."""
    raw = yaml.safe_load(rehearsal.environments_file.read_text())
    raw["environments"]["staging"]["state"]["bucket"] = "credex-terraform-state-never-created"
    path = tmp_path / "environments.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    defs = build_definitions(
        load_environments(path),
        resources={
            "terraform": rehearsal.terraform,
            "aws": AwsResource(endpoint_url=rehearsal.moto.endpoint_url),
        },
    )
    result = defs.resolve_job_def("deploy_staging").execute_in_process(
        instance=rehearsal.instance,
        asset_selection=[AssetKey(["staging", "connectors"])],
        raise_on_error=False,
    )
    assert not result.success
    assert_run_page_leads_with(
        webserver,
        browser,
        result.run_id,
        [
            "staging/connectors: the Terraform state bucket of the environment does not exist. Remedy: create it"
        ],
        tmp_path / "missing-bucket-run.png",
        then=('S3 bucket "credex-terraform-state-never-created" does not exist',),  # Terraform's words, whole
    )


def test_a_verify_run_stores_no_secret(rehearsal: DagsterRehearsal) -> None:
    result = rehearsal.run("verify_development")
    found = evaluations(result)
    assert found["app:api_health"].passed, found["app:api_health"].description
    assert_nothing_stored_holds_a_secret(rehearsal, "a verify_development run")
