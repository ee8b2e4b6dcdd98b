"""moto's server with the ECS service tasks moto leaves out (credex_orchestration/rehearsal/moto_ecs.py):
`python -m tests.support.moto_ecs_tasks`, for tests that need only that part of the rehearsal's moto."""

from moto.server import main

from credex_orchestration.rehearsal import moto_ecs  # noqa: F401  (patches moto on import)

if __name__ == "__main__":
    main()
