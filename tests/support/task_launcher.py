"""A run launcher that starts each run the way ECS starts the run-worker task: the image's entrypoint with
the command EcsRunLauncher puts into the container override.

Stands in for ECS + Fargate (moto records a `run_task` but runs nothing). It builds the arguments exactly as
dagster_aws.ecs.EcsRunLauncher._start_task_for_run does (`ExecuteRunArgs(...).get_command_args()`: the job
origin without its container context, the run id, the instance ref) and runs
`<prefix>/bin/credex-entrypoint <those arguments>` as a local process with the task's environment: the
`env_file` (the task definition's environment), or without one the launching daemon's own (the rehearsal
gives its whole orchestrator one environment).

`pid_namespace: true` starts the worker as PID 1 of its own PID namespace, as in a container: when the worker
dies, the kernel SIGKILLs everything it started (Terraform too), as ECS ends a task whose essential container
exited. Like EcsRunLauncher it reports the worker's health (the task running or stopped) to run monitoring,
and `terminate` stops the task.

ExecuteRunArgs is not public API: the arguments are written in the form `dagster api execute_run` reads,
with the public serialize_value/deserialize_value (decision 0185); a Dagster that changed that form fails the
image test at the run worker's start. The health answer's types are EcsRunLauncher's own (dagster_aws.ecs):
Dagster does not export them.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

from dagster import DagsterRun, DefaultRunLauncher, deserialize_value, serialize_value
from dagster_aws.ecs.launcher import CheckRunHealthResult, WorkerStatus

from .processes import alive

# As a container runtime: PID 1 of a new PID namespace (-r maps the user to root when not root already).
_NAMESPACE = ["unshare", "--pid", "--fork", "--kill-child"]


def execute_run_args(job_origin: Any, run_id: str, instance_ref: Any) -> list[str]:
    """`<entry point> api execute_run <ExecuteRunArgs>`, the job origin without its container context."""
    origin = json.loads(serialize_value(job_origin))
    origin["repository_origin"]["container_context"] = {}
    args = {
        "__class__": "ExecuteRunArgs",
        "pipeline_origin": origin,
        "pipeline_run_id": run_id,
        "instance_ref": json.loads(serialize_value(instance_ref)),
        "set_exit_code_on_failure": None,
    }
    # Round trip: Dagster's own reader checks the form and writes it the way it writes it.
    serialized = serialize_value(deserialize_value(json.dumps(args)))
    repository = job_origin.repository_origin
    entry_point = repository.entry_point or [repository.executable_path, "-m", "dagster"]
    return [*entry_point, "api", "execute_run", serialized]


class EntrypointRunLauncher(DefaultRunLauncher):
    def __init__(
        self,
        entrypoint: str,
        log_dir: str,
        env_file: str | None = None,
        pid_namespace: bool = False,
        inst_data: Any = None,
    ):
        self.entrypoint = entrypoint
        self.env_file = env_file
        self.pid_namespace = pid_namespace
        self.log_dir = Path(log_dir)
        self._tasks: dict[str, subprocess.Popen] = {}
        super().__init__(inst_data=inst_data)

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        from dagster import Field

        return {
            "entrypoint": str,
            "log_dir": str,
            "env_file": Field(str, is_required=False),
            "pid_namespace": Field(bool, is_required=False, default_value=False),
        }

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: dict[str, Any]):
        return cls(inst_data=inst_data, **config_value)

    def launch_run(self, context: Any) -> None:
        run = context.dagster_run
        if context.job_code_origin is None:
            raise RuntimeError(f"run {run.run_id} has no job code origin to start a worker from")
        args = execute_run_args(context.job_code_origin, run.run_id, self._instance.get_ref())
        command = [self.entrypoint, *args]
        # The task definition's environment (env_file): then nothing of the daemon's own environment leaks in.
        env = json.loads(Path(self.env_file).read_text()) if self.env_file else dict(os.environ)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        (self.log_dir / f"{run.run_id}.command").write_text(json.dumps(command))
        wrapper = (
            [*_NAMESPACE, *([] if os.geteuid() == 0 else ["--map-root-user"])] if self.pid_namespace else []
        )
        with (self.log_dir / f"{run.run_id}.log").open("w") as log:
            process = subprocess.Popen(
                [*wrapper, *command], env=env, stdout=log, stderr=subprocess.STDOUT, cwd="/"
            )
        self._tasks[run.run_id] = process
        (self.log_dir / f"{run.run_id}.pid").write_text(str(process.pid))
        self._instance.report_engine_event(
            f"run worker started (pid {process.pid}, launched by pid {os.getpid()})", run, cls=self.__class__
        )

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        """RUNNING while the task's process lives, FAILED once it has ended (as ECS reports a STOPPED task)."""
        process = self._tasks.get(run.run_id)
        if process is not None:
            code = process.poll()
            if code is None:
                return CheckRunHealthResult(WorkerStatus.RUNNING)
            return CheckRunHealthResult(WorkerStatus.FAILED, f"run worker exited with {code}")
        pid_file = self.log_dir / f"{run.run_id}.pid"
        if not pid_file.exists():
            return CheckRunHealthResult(WorkerStatus.UNKNOWN, "this launcher did not start the run")
        if alive(int(pid_file.read_text())):
            return CheckRunHealthResult(WorkerStatus.RUNNING)
        return CheckRunHealthResult(WorkerStatus.FAILED, "run worker is gone")

    def terminate(self, run_id: str) -> bool:
        """Stop the task: SIGTERM to its process (in a namespace, the kernel then kills all of it)."""
        process = self._tasks.get(run_id)
        if process is None or process.poll() is not None:
            return False
        run = self._instance.get_run_by_id(run_id)
        if run is None:
            return False
        self._instance.report_run_canceling(run)
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        return True
