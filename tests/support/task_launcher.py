"""A run launcher that starts each run the way ECS starts the run-worker task: the image's entrypoint with
the command EcsRunLauncher puts into the container override.

Stands in for ECS + Fargate (moto records a `run_task` but runs nothing). It builds the arguments exactly as
dagster_aws.ecs.EcsRunLauncher._start_task_for_run does (`ExecuteRunArgs(...).get_command_args()`: the job
origin without its container context, the run id, the instance ref) and runs
`<prefix>/bin/credex-entrypoint <those arguments>` as a local process with the task's environment.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from dagster import _check as check
from dagster._core.launcher import LaunchRunContext, RunLauncher
from dagster._grpc.types import ExecuteRunArgs
from dagster._serdes import ConfigurableClass, ConfigurableClassData


class EntrypointRunLauncher(RunLauncher, ConfigurableClass):
    def __init__(
        self, entrypoint: str, env_file: str, log_dir: str, inst_data: ConfigurableClassData | None = None
    ):
        self._inst_data = inst_data
        self.entrypoint = entrypoint
        self.env_file = env_file
        self.log_dir = Path(log_dir)
        super().__init__()

    @property
    def inst_data(self) -> ConfigurableClassData | None:
        return self._inst_data

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        return {"entrypoint": str, "env_file": str, "log_dir": str}

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
        # The task definition's environment only: nothing of the daemon's own environment leaks in.
        env = json.loads(Path(self.env_file).read_text())
        self.log_dir.mkdir(parents=True, exist_ok=True)
        (self.log_dir / f"{run.run_id}.command").write_text(json.dumps(command))
        with (self.log_dir / f"{run.run_id}.log").open("w") as log:
            process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd="/")
        self._instance.report_engine_event(f"run worker started (pid {process.pid})", run, cls=self.__class__)

    def terminate(self, run_id: str) -> bool:
        return False
