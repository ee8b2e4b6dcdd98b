"""`bash scripts/dev`, then deploy_development as the UI's Materialize launches it, through the queue, the
daemon and a run worker started by the image's entrypoint; then that worker killed mid-apply.

One world for the module (a first deploy on the real roots costs about four minutes): `bash scripts/dev` as a
user runs it, with no AWS credentials (tests/support/dev_world.py). Its instance file is the project's
dagster.yaml (the queue, the pools, run monitoring) with two test settings: the launcher is the ECS stand-in
(tests/support/task_launcher.py) running `deploy/image/entrypoint.sh dagster api execute_run ...` as PID 1 of
its own PID namespace, as ECS runs the run-worker container; run monitoring polls every 2 s.

Order matters: the first deploy's success is asserted before the kill test uses the deployed world.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from credex_orchestration import naming
from credex_orchestration.verification.results import AUTHENTICATION

from .support.dev_world import DevWorld
from .support.orchestrator_world import PROJECT, provider_mirror_problem
from .support.processes import alive, descendants, matching

pytestmark = pytest.mark.slow
ENTRYPOINT = PROJECT / "deploy" / "image" / "entrypoint.sh"
ENVIRONMENT = "development"
DEPLOY = naming.deploy_job(ENVIRONMENT)
OLD_SYSTEM_ADDRESS = "198.51.100.7"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevWorld]:
    problem = provider_mirror_problem()
    if problem:
        pytest.fail(problem)
    directory = tmp_path_factory.mktemp("dev-world")
    overrides = {
        "run_launcher": {
            "module": "tests.support.task_launcher",
            "class": "EntrypointRunLauncher",
            "config": {
                "entrypoint": str(ENTRYPOINT),
                "log_dir": str(directory / "workers"),
                "pid_namespace": True,
            },
        },
        "run_monitoring": {
            "enabled": True,
            "start_timeout_seconds": 180,
            "max_resume_run_attempts": 0,
            "poll_interval_seconds": 2,
            "free_slots_after_run_end_seconds": 1,
        },
    }
    dev = DevWorld(directory, overrides)
    assert not [key for key in dev.env if key.startswith("AWS_")], "the user's shell has no AWS variables"
    with dev:
        yield dev
    assert not dev.left_behind, f"processes left running after scripts/dev stopped: {dev.left_behind}"
    assert not matching(str(directory)), "a process of this world is still running"


def _assert_blocking_checks_passed(world: DevWorld, run_id: str) -> list[str]:
    """Every check of the job ran in `run_id`; every blocking one passed. The failed ones (non-blocking)."""
    assets, checks = world.job_selection(DEPLOY)
    assert checks, "deploy_development has no checks"
    failed = []
    for asset in assets:
        selected = {c["name"] for c in checks if c["assetKey"]["path"] == asset["path"]}
        for name, check in world.check_executions(asset["path"]).items():
            if name not in selected:  # the asset's checks of other jobs (drift)
                continue
            execution = check["executionForLatestMaterialization"]
            where = f"{'/'.join(asset['path'])}:{name}"
            assert execution and execution["runId"] == run_id, f"{where} did not run in {run_id}: {execution}"
            evaluation = execution["evaluation"]
            assert evaluation is not None, f"{where} has no evaluation ({execution['status']})"
            if not evaluation["success"]:
                assert not check["blocking"], f"blocking check {where} failed"
                assert evaluation["severity"] == "WARN", f"{where} failed with {evaluation['severity']}"
                failed.append(name)
    return failed


@pytest.fixture(scope="module")
def first_deploy(world: DevWorld) -> tuple[str, str]:
    run_id = world.materialize(DEPLOY)
    return run_id, world.wait_for_run(run_id, timeout=540)


def test_scripts_dev_then_materialize_deploys_development_with_every_blocking_check_passed(
    world: DevWorld, first_deploy: tuple[str, str]
) -> None:
    run_id, status = first_deploy
    assert status == "SUCCESS", f"{DEPLOY} ended {status}:\n{world.run_failure(run_id)}"
    failed = _assert_blocking_checks_passed(world, run_id)
    # The rehearsal's one failing check: the stand-in API's authentication probe, a WARN, non-blocking.
    assert failed == [AUTHENTICATION], failed


INSTANCE = """
{ instance { runQueuingSupported runLauncher { name }
    daemonHealth { allDaemonStatuses { daemonType healthy required } } } }
"""


def test_the_deploy_went_through_the_queue_the_daemon_and_a_run_worker_started_as_the_image_starts_it(
    world: DevWorld, first_deploy: tuple[str, str]
) -> None:
    run_id, status = first_deploy
    assert status == "SUCCESS"
    events = world.run(run_id)["eventConnection"]["events"]
    kinds = [event["__typename"] for event in events]
    # Queued first; then the daemon's queue took it and its launcher started the worker.
    assert "RunEnqueuedEvent" in kinds, kinds
    assert kinds.index("RunEnqueuedEvent") < kinds.index("RunStartingEvent") < kinds.index("RunStartEvent")
    [started] = [e["message"] for e in events if "run worker started" in e.get("message", "")]
    launcher = int(re.search(r"launched by pid (\d+)", started).group(1))
    assert re.search(r"dagster(-|\._)daemon run ", _command(launcher)), _command(launcher)[:300]
    command = json.loads((world.directory / "workers" / f"{run_id}.command").read_text())
    assert command[:4] == [str(ENTRYPOINT), "dagster", "api", "execute_run"], command
    instance = world.graphql(INSTANCE)["instance"]
    assert instance["runQueuingSupported"] and instance["runLauncher"]["name"] == "EntrypointRunLauncher"
    daemons = {d["daemonType"]: d for d in instance["daemonHealth"]["allDaemonStatuses"] if d["required"]}
    for daemon in ("QUEUED_RUN_COORDINATOR", "MONITORING"):
        assert daemons.get(daemon, {}).get("healthy"), (daemon, daemons)


# ----- a run worker killed while Terraform applies ------------------------------------------------------------
def _locks(world: DevWorld) -> list[str]:
    bucket = world.environments[ENVIRONMENT].state.bucket
    listed = world.client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])
    return [item["Key"] for item in listed if item["Key"].endswith(".tflock")]


def _point_domain_elsewhere(world: DevWorld) -> None:
    """Drift the connectors must repair: someone points the domain at the old system again (UPSERT)."""
    domain = world.environments[ENVIRONMENT].domain
    route53 = world.client("route53")
    zone = ".".join(domain.split(".")[-2:]) + "."
    [zone_id] = [z["Id"] for z in route53.list_hosted_zones()["HostedZones"] if z["Name"] == zone]
    record = {"Name": domain, "Type": "A", "TTL": 300, "ResourceRecords": [{"Value": OLD_SYSTEM_ADDRESS}]}
    route53.change_resource_record_sets(
        HostedZoneId=zone_id, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": record}]}
    )


def _domain_record(world: DevWorld) -> dict[str, Any]:
    domain = world.environments[ENVIRONMENT].domain
    route53 = world.client("route53")
    zone = ".".join(domain.split(".")[-2:]) + "."
    [zone_id] = [z["Id"] for z in route53.list_hosted_zones()["HostedZones"] if z["Name"] == zone]
    records = route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    [record] = [r for r in records if r["Name"].rstrip(".") == domain and r["Type"] == "A"]
    return record


def _applying(world: DevWorld, run_id: str, timeout: float) -> tuple[int, list[int], str]:
    """(worker pid, its Terraform apply processes, the connectors lock key) once the apply holds the lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workers = [pid for pid in matching(run_id, "execute_run") if not _command(pid).startswith("unshare")]
        for worker in workers:
            applies = [
                p for p in descendants(worker) if "terraform_cli" in _command(p) and " apply" in _command(p)
            ]
            locks = [key for key in _locks(world) if "connectors" in key]
            if applies and locks:
                return worker, applies, locks[0]
        status = world.run(run_id)["status"]
        assert status in ("QUEUED", "NOT_STARTED", "STARTING", "STARTED"), (
            f"the deploy ended {status} before its connectors apply:\n{world.run_failure(run_id)}"
        )
        time.sleep(0.2)
    raise AssertionError(
        f"no connectors apply holding the lock within {timeout} s:\n{world.run_failure(run_id)}"
    )


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def test_a_killed_run_worker_is_marked_failed_by_monitoring_then_unlock_and_redeploy_recover(
    world: DevWorld, first_deploy: tuple[str, str]
) -> None:
    assert first_deploy[1] == "SUCCESS", "the first deploy failed: nothing to recover to"
    _point_domain_elsewhere(world)
    run_id = world.materialize(DEPLOY)
    worker, terraform, lock = _applying(world, run_id, timeout=240)
    os.kill(worker, signal.SIGKILL)

    # Run monitoring sees the task gone and fails the run (no resume: max_resume_run_attempts 0).
    assert world.wait_for_run(run_id, timeout=60) == "FAILURE", world.run_failure(run_id)
    assert "Detected run worker status" in world.run_failure(run_id), world.run_failure(run_id)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(pid) for pid in terraform):
        time.sleep(0.2)
    assert not any(alive(pid) for pid in terraform), "Terraform outlived its run worker"
    # It died with the task, as in a container: the lock it held is still there.
    assert lock in _locks(world), _locks(world)

    unlock = world.launch(
        world.selector(naming.unlock_job(ENVIRONMENT)),
        {"ops": {naming.op_name(ENVIRONMENT, "unlock"): {"config": {
            "component": "connectors", "reason": "run worker killed mid-apply (test)", "min_age_minutes": 0,
        }}}},
    )  # fmt: skip
    assert world.wait_for_run(unlock, timeout=180) == "SUCCESS", world.run_failure(unlock)
    assert "force-unlocked" in world.run_failure(unlock)
    assert lock not in _locks(world), _locks(world)

    # Recovery: the next deploy plans from what state knows, repairs the domain and passes its checks.
    redeploy = world.materialize(DEPLOY)
    assert world.wait_for_run(redeploy, timeout=420) == "SUCCESS", world.run_failure(redeploy)
    _assert_blocking_checks_passed(world, redeploy)
    assert "AliasTarget" in _domain_record(world), _domain_record(world)
    assert not _locks(world)
