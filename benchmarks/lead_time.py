"""Figure 5: lead time of a push, with the real daemon: push -> sensor request -> run started -> healthy.

credex-core is a local bare repository; its CI is `seed.push_image` (the commit's image in ECR). Development
is deployed by hand at the repository's first commit, then `dagster-daemon` runs on the world's instance
(QueuedRunCoordinator and the default run launcher of dagster.yaml) with the branch sensor started. A push
of a commit that changes `src/` is then picked up by the sensor's next tick (its interval is 60 s, so the
wait depends on when the push lands), queued, launched in its own run worker and deployed (the app only,
as credex-core-paths.yaml maps `src/**`) until `api_health` passes. The orchestrator's share is
everything but the Terraform processes (which the probe times): the sensor's wait and tick (`sensor`), the
queue until the launcher starts the run (`queue`), the run worker's start until RUN_START
(`run_worker_start`: a new process loading the code location), and the steps' own work (`steps_other`,
checks included).
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

from dagster import DagsterEventType, RunsFilter

from credex_orchestration import naming
from credex_orchestration.deploy.config import deploy_run_config
from credex_orchestration.environments import PROJECT_ROOT
from credex_orchestration.rehearsal import seed

from . import processes
from .measure import ProcessFailed, figure, ok
from .world import DAGSTER, DAGSTER_DAEMON, ENVIRONMENT, World, pointed_at

RUN_TIMEOUT_SECONDS = 900
TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}


def _git(*args: str, cwd: Path | None = None) -> str:
    command = ["git", "-c", "user.name=bench", "-c", "user.email=bench@credex.local", *args]
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def _commit(work: Path, bare: Path, branch: str, text: str) -> str:
    (work / "src").mkdir(exist_ok=True)
    (work / "src" / "index.ts").write_text(text)
    _git("add", ".", cwd=work)
    _git("commit", "--quiet", "-m", text.strip(), cwd=work)
    _git("push", "--quiet", str(bare), f"HEAD:refs/heads/{branch}", cwd=work)
    return _git("rev-parse", "HEAD", cwd=work)


def _wait_for(predicate, timeout: float, what: str, interval: float = 1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(interval)
    raise ProcessFailed(f"timed out after {timeout:.0f} s waiting for {what}")


def _healthy_at(world: World, run_id: str) -> float | None:
    records = world.instance.get_records_for_run(
        run_id=run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
    )
    for record in records.records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if evaluation.check_name == "api_health" and evaluation.passed:
            return record.event_log_entry.timestamp
    return None


def _event_time(world: World, run_id: str, kind: DagsterEventType) -> float | None:
    records = world.instance.get_records_for_run(run_id=run_id, of_type=kind).records
    return records[0].event_log_entry.timestamp if records else None


def push_to_healthy(worlds: dict[str, World], repeats: int) -> dict[str, Any]:
    world = worlds["dagster"]
    environment = world.environment
    root = world.root / "credex-core"
    bare, work = root / "credex-core.git", root / "work"
    root.mkdir()
    _git("init", "--bare", "--quiet", "-b", environment.branch, str(bare))
    _git("init", "--quiet", "-b", environment.branch, str(work))
    base = _commit(work, bare, environment.branch, "export const version = 0;\n")
    seed.push_image(environment, world.moto.endpoint_url, base)
    with pointed_at(world):  # the deploy by hand the sensor diffs against
        deployed = world.run(
            f"deploy_{ENVIRONMENT}",
            deploy_run_config(environment, ["app"], git_sha=base),
            asset_selection=[naming.component_key(ENVIRONMENT, "app")],
        )
    if not deployed.success:
        raise ProcessFailed(f"the deploy of {base[:12]} by hand failed")
    tf_log = world.root / "lead-time.jsonl"
    env = world.process_env(tf_log, CREDEX_CORE_REPOSITORY=str(bare), CREDEX_GIT_CACHE=str(root / "cache"))
    workspace = str(PROJECT_ROOT / "workspace.yaml")
    sensor = naming.branch_push_sensor(ENVIRONMENT)
    daemon_log = (world.root / "daemon.log").open("w")
    daemon = subprocess.Popen(
        [DAGSTER_DAEMON, "run", "-w", workspace],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=daemon_log,
        stderr=daemon_log,
    )
    parts: dict[str, list[float]] = {
        "push_to_healthy": [],
        "sensor": [],
        "queue": [],
        "run_worker_start": [],
        "terraform": [],
        "steps_other": [],
    }
    try:
        subprocess.run(
            [DAGSTER, "sensor", "start", "-w", workspace, sensor],
            env=env,
            cwd=PROJECT_ROOT,
            check=True,
            capture_output=True,
            timeout=300,
        )
        log_path = world.root / "daemon.log"
        _wait_for(lambda: sensor in log_path.read_text(), 180, f"the daemon's first tick of {sensor}")
        for index in range(repeats):
            time.sleep(5)  # the tick that saw the base has ended
            for name, value in _one_push(world, work, bare, tf_log, index).items():
                parts[name].append(value)
    finally:
        daemon.terminate()
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        daemon_log.close()
    orchestrator = [lead - tf for lead, tf in zip(parts["push_to_healthy"], parts["terraform"], strict=True)]
    return {
        "lead_time": ok(
            {
                **{name: figure(values, "s") for name, values in parts.items()},
                "orchestrator_share": figure(orchestrator, "s"),
            },
            sensor_interval_seconds=60,
            target="the orchestrator's share apart from Terraform's (no fixed target; the sensor waits up to its 60 s interval)",
            components=["app"],
            measured="real dagster-daemon: sensor tick, QueuedRunCoordinator, default run launcher; healthy = api_health passed",
        )
    }


def _one_push(world: World, work: Path, bare: Path, tf_log: Path, index: int) -> dict[str, float]:
    """A push and its deploy until healthy: when each phase ended, against the push."""
    environment = world.environment
    pushed = time.time()
    tip = _commit(work, bare, environment.branch, f"export const version = {index + 1};\n")
    seed.push_image(environment, world.moto.endpoint_url, tip)

    def run_record():
        found = world.instance.get_run_records(RunsFilter(tags={naming.SHA_TAG: tip}), limit=1)
        return found[0] if found else None

    record = _wait_for(run_record, 180, f"a run of {tip[:12]} requested by the branch sensor")
    run_id = record.dagster_run.run_id

    def finished():
        current = world.instance.get_run_record_by_id(run_id)
        return current if current.dagster_run.status.value in TERMINAL else None

    done = _wait_for(finished, RUN_TIMEOUT_SECONDS, f"run {run_id}", interval=2)
    if done.dagster_run.status.value != "SUCCESS":
        raise ProcessFailed(f"the deploy of {tip[:12]} ended {done.dagster_run.status.value}")
    healthy = _healthy_at(world, run_id)
    if healthy is None:
        raise ProcessFailed(f"the deploy of {tip[:12]} never passed api_health")
    created, started = record.create_timestamp.timestamp(), done.start_time
    launched = _event_time(world, run_id, DagsterEventType.RUN_STARTING) or started
    terraform = processes.busy_seconds(
        [span for span in processes.records(tf_log) if started <= span["start"] <= healthy]
    )
    return {
        "push_to_healthy": healthy - pushed,
        "sensor": created - pushed,
        "queue": launched - created,
        "run_worker_start": started - launched,
        "terraform": terraform,
        "steps_other": healthy - started - terraform,
    }
