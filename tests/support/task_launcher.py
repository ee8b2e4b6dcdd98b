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
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

from dagster import _check as check
from dagster._core.launcher import CheckRunHealthResult, LaunchRunContext, RunLauncher, WorkerStatus
from dagster._core.storage.dagster_run import DagsterRun
from dagster._grpc.types import ExecuteRunArgs
from dagster._serdes import ConfigurableClass, ConfigurableClassData

from .processes import alive

# As a container runtime: PID 1 of a new PID namespace (-r maps the user to root when not root already).
_NAMESPACE = ["unshare", "--pid", "--fork", "--kill-child"]


class EntrypointRunLauncher(RunLauncher, ConfigurableClass):
    def __init__(
        self,
        entrypoint: str,
        log_dir: str,
        env_file: str | None = None,
        pid_namespace: bool = False,
        inst_data: ConfigurableClassData | None = None,
    ):
        self._inst_data = inst_data
        self.entrypoint = entrypoint
        self.env_file = env_file
        self.pid_namespace = pid_namespace
        self.log_dir = Path(log_dir)
        self._tasks: dict[str, subprocess.Popen] = {}
        super().__init__()

    @property
    def inst_data(self) -> ConfigurableClassData | None:
        return self._inst_data

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
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value: dict[str, Any]):
        return cls(inst_data=inst_data, **config_value)

    def launch_run(self, context: LaunchRunContext) -> None:
        run = context.dagster_run
        job_origin = check.not_none(context.job_code_origin)
        repository_origin = job_origin.repository_origin._replace(container_context={})
        args = ExecuteRunArgs(
            job_origin=job_origin._replace(repository_origin=repository_origin),
            run_id=run.run_id,
            instance_ref=self._instance.get_ref(),
        )
        command = [self.entrypoint, *args.get_command_args()]
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
        self._instance.report_run_canceling(check.not_none(self._instance.get_run_by_id(run_id)))
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        return True
