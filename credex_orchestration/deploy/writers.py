"""One writer per environment: a step that writes in an environment runs only where its pool is enforced.

Every step that plans, applies, imports, deletes or unlocks in an environment is in the environment's pool
(`naming.environment_pool`); the instance (dagster.yaml, deploy/dagster.yaml) gives every pool one slot at op
granularity, so the executor claims the slot before the step runs, whichever way the run started (named job,
UI selection, sensor, schedule, `dagster job execute`). An instance that does not enforce pools (an ephemeral
instance of `dagster job execute` without DAGSTER_HOME, or one without `concurrency.pools.default_limit`)
cannot keep a second writer out, so such a step is refused when the environment's state is shared (an S3
backend). A local backend lives on this machine's disk under Terraform's own file lock: tests and demos.
See docs/decisions/0140-one-writer-per-environment.md.
"""

from __future__ import annotations

from dagster import DagsterInstance

from .. import naming
from ..environments import Environment


class SecondWriterPossible(RuntimeError):
    """This step would run outside the environment's concurrency pool."""


def pool_enforced(instance: DagsterInstance) -> bool:
    """Whether the instance gives each environment pool a limit that its executors claim against."""
    if not instance.is_persistent or not instance.event_log_storage.supports_global_concurrency_limits:
        return False
    pools = instance.get_concurrency_config().pool_config
    granularity = pools.pool_granularity.value if pools.pool_granularity else "op"
    return pools.default_pool_limit == 1 and granularity == "op"


def check_single_writer(instance: DagsterInstance, environment: Environment, what: str) -> None:
    """Refuse a writing step of a shared-state environment on an instance that does not enforce its pool."""
    if environment.state.backend == "local" or pool_enforced(instance):
        return
    raise SecondWriterPossible(
        f"{what}: refused, nothing was run: this Dagster instance does not enforce the concurrency pool "
        f"{naming.environment_pool(environment.name)!r}, so another run could write to {environment.name} "
        "at the same time. Start it through the instance that runs the deploys (DAGSTER_HOME with "
        "deploy/dagster.yaml: `dagster job launch`, the UI or a sensor), or give this instance "
        "`concurrency: {pools: {default_limit: 1, granularity: op}}`."
    )
