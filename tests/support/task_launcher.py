"""A run launcher that starts each run the way ECS starts the run-worker task: the image's entrypoint with
the command EcsRunLauncher puts into the container override.

Stands in for ECS + Fargate (moto records a `run_task` but runs nothing). It builds the arguments
dagster_aws.ecs.EcsRunLauncher._start_task_for_run builds (`ExecuteRunArgs(...).get_command_args()`: the
job origin without its container context, the run id, the instance ref) and runs
`<prefix>/bin/credex-entrypoint <those arguments>` as a local process with the task's environment.
ExecuteRunArgs is not public API: the arguments are written in the form `dagster api execute_run` reads,
with the public serialize_value/deserialize_value (decision 0185), and a Dagster that changed that form
fails the image test at the run worker's start.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from dagster import DefaultRunLauncher, deserialize_value, serialize_value


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
    def __init__(self, entrypoint: str, env_file: str, log_dir: str, inst_data: Any = None):
        self.entrypoint = entrypoint
        self.env_file = env_file
        self.log_dir = Path(log_dir)
        super().__init__(inst_data=inst_data)

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        return {"entrypoint": str, "env_file": str, "log_dir": str}

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: dict[str, Any]):
        return cls(inst_data=inst_data, **config_value)

    def launch_run(self, context: Any) -> None:
        run = context.dagster_run
        if context.job_code_origin is None:
            raise RuntimeError(f"run {run.run_id} has no job code origin to start a worker from")
        args = execute_run_args(context.job_code_origin, run.run_id, self._instance.get_ref())
        command = [self.entrypoint, *args]
        # The task definition's environment only: nothing of the daemon's own environment leaks in.
        env = json.loads(Path(self.env_file).read_text())
        self.log_dir.mkdir(parents=True, exist_ok=True)
        (self.log_dir / f"{run.run_id}.command").write_text(json.dumps(command))
        with (self.log_dir / f"{run.run_id}.log").open("w") as log:
            process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd="/")
        self._instance.report_engine_event(f"run worker started (pid {process.pid})", run, cls=self.__class__)

    def terminate(self, run_id: str) -> bool:
        return False
