"""Plain moto in server mode for tests: the package's MotoProcess (credex_orchestration/rehearsal/moto_server.py)
started on `moto.server` without the rehearsal's patches and waits unless a test asks for them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from credex_orchestration.rehearsal.moto_server import MotoProcess, free_port

__all__ = ["MotoServer", "free_port"]

PLAIN_MOTO_ENV = {"MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}


class MotoServer(MotoProcess):
    """`python -m <module>` (default `moto.server`) on 127.0.0.1:<free port>; `env` reaches the server only.

    Pass e.g. {"MOTO_ECS_SERVICE_RUNNING": "1"} so ECS services report running tasks; `module` runs another
    entry point of moto's server (e.g. tests.support.moto_ecs_tasks, which adds the tasks of services).
    """

    def __init__(
        self, env: Mapping[str, str] | None = None, module: str = "moto.server", log: Path | None = None
    ) -> None:
        super().__init__(env, module=module, defaults=PLAIN_MOTO_ENV, log=log)
