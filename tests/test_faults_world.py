"""Whole deploys under faults: AWS throttling 20 % of requests (a proxy in front of moto, for Terraform's S3
backend and every boto3 call), with the run's AWS credentials as secret sentinels, then a scan of everything
the Dagster instance and the Terraform work dir stored for those sentinels in every encoding.

The deploys use the real S3 backend settings (state in moto's `credex-terraform-state-development`) on the
fixture roots, on an instance whose pools are enforced (deploy/dagster.yaml's `concurrency` section).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import boto3
import pytest
from dagster import instance_for_test

from credex_orchestration.definitions import build_definitions
from credex_orchestration.deploy.config import deploy_run_config
from credex_orchestration.environments import load_environments
from credex_orchestration.resources import AwsResource, TerraformResource

from .conftest import FIXTURE_ROOTS
from .support.deploys import fixture_deploy_overrides
from .support.environments import local_environments_file
from .support.fault_proxy import FaultProxy
from .support.instance import production_config
from .support.runs import step_failure
from .support.secret_scan import scan

ACCESS_KEY = "AKIASENTINEL0KEY0ID01"
SECRET_KEY = "sentinel/Secret+Key=0123456789abcdefghij"
SENTINELS = {"aws access key id": ACCESS_KEY, "aws secret access key": SECRET_KEY}
BUCKET = "credex-terraform-state-development"


def test_the_scan_finds_a_planted_sentinel(tmp_path: Path) -> None:
    """The scanner can fail: each encoding of a sentinel written to a file is found."""
    import base64
    import urllib.parse

    planted = tmp_path / "planted"
    planted.mkdir()
    (planted / "b64").write_bytes(base64.b64encode(b"user:" + SECRET_KEY.encode()))
    (planted / "url").write_text(urllib.parse.quote(SECRET_KEY, safe=""))
    (planted / "json").write_text(json.dumps({"k": SECRET_KEY}))
    hits = scan([planted], {"aws secret access key": SECRET_KEY})
    assert {Path(hit.split(":")[0]).name for hit in hits} == {"b64", "url", "json"}, hits


def _s3_roots(roots: Path) -> Path:
    """The fixture roots with the real roots' backend block (`backend "s3" {}`, settings from the run)."""
    shutil.copytree(FIXTURE_ROOTS, roots)
    for main in roots.glob("*/main.tf"):
        main.write_text(main.read_text().replace('backend "local" {}', 'backend "s3" {}'))
    return roots


@pytest.fixture
def world(tmp_path: Path, aws_endpoint: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "10")  # the SDKs' own retries are what a throttled world relies on
    s3 = boto3.client("s3", region_name="af-south-1", endpoint_url=aws_endpoint)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "af-south-1"})
    ecr = boto3.client("ecr", region_name="af-south-1", endpoint_url=aws_endpoint)
    ecr.create_repository(repositoryName="credex-core-development")
    manifest = json.dumps(
        {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json"}
    )
    ecr.put_image(repositoryName="credex-core-development", imageManifest=manifest, imageTag="dede001")
    overrides = fixture_deploy_overrides("development")
    overrides["development"] |= {"state.backend": "s3", "state.bucket": BUCKET}
    environments = load_environments(local_environments_file(tmp_path, overrides))
    with FaultProxy(aws_endpoint, throttle=0.2, seed=15) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint_url)
        terraform = TerraformResource(
            roots_dir=str(_s3_roots(tmp_path / "roots")),
            work_dir=str(tmp_path / "work"),
            s3_endpoint_url=proxy.endpoint_url,
        )
        defs = build_definitions(
            environments,
            resources={"terraform": terraform, "aws": AwsResource(endpoint_url=proxy.endpoint_url)},
        )
        concurrency = production_config()["concurrency"]
        (tmp_path / "dagster_home").mkdir()
        with instance_for_test(
            overrides={
                "concurrency": {
                    "pools": {
                        k: v for k, v in concurrency["pools"].items() if k != "op_granularity_run_buffer"
                    }
                }
            },
            temp_dir=str(tmp_path / "dagster_home"),
        ) as instance:
            yield environments["development"], defs, instance, terraform, proxy, tmp_path


def test_deploys_under_throttling_store_no_secret_and_refuse_a_missing_image(world) -> None:
    dev, defs, instance, terraform, proxy, tmp_path = world
    job = defs.resolve_job_def("deploy_development")
    good = job.execute_in_process(
        run_config=deploy_run_config(dev, git_sha="dede001"), instance=instance, raise_on_error=False
    )
    assert good.success, step_failure(good)
    throttled = proxy.counts["throttled"]
    print(
        f"\nfault-suite figure: {throttled} of {proxy.counts['requests']} AWS requests throttled and retried"
    )
    assert throttled > 0
    assert terraform.workspace(dev, "app").outputs()["image_tag"].value == "dede001"

    # A SHA whose image is not in ECR: refused by the first step, before any Terraform command.
    requests = proxy.counts["requests"]
    missing = job.execute_in_process(
        run_config=deploy_run_config(dev, git_sha="dede404"), instance=instance, raise_on_error=False
    )
    message = step_failure(missing, "development__connectors")
    assert "credex-core-development:dede404" in message and "refused, nothing was run" in message
    assert proxy.counts["requests"] - requests < 15  # an ECR lookup (and its retries), no Terraform
    assert terraform.workspace(dev, "app").outputs()["image_tag"].value == "dede001"

    # Nothing the instance or the work dir stored holds the run's credentials, in any encoding.
    hits = scan([tmp_path / "dagster_home", tmp_path / "work"], SENTINELS)
    print(f"fault-suite figure: {len(hits)} sentinel occurrence(s) in stored files")
    assert hits == []
    assert not list((tmp_path / "work").rglob("*.tfplan")), "a saved plan outlived its step"
