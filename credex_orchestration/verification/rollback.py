"""Rolling the ECS service back to the last revision that passed every blocking check.

Only the service's task definition changes (`update_service`); Terraform state, task definitions and every
other resource stay as they are. The decision is separate from the action so each can be tested alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .outcome import Outcome
from .revisions import Revision

Log = Callable[[str], None]


def decide(*, deployed_in_run: bool, current: str | None, last_good: Revision | None) -> str | None:
    """None when the service should be rolled back; otherwise the reason it is not."""
    if not deployed_in_run:
        target = last_good.task_definition_arn if last_good else "none recorded"
        return f"verification-only run: no rollback (last revision that passed: {target})"
    if last_good is None:
        return "no earlier revision passed every blocking check in this environment: nothing to roll back to"
    if current == last_good.task_definition_arn:
        return f"the service already runs the last revision that passed ({current}): nothing to roll back"
    return None


def roll_back(
    ecs: Any,
    *,
    cluster: str,
    service: str,
    current: str | None,
    to: Revision,
    why: str,
    wait_stable: Callable[[], Outcome],
    health: Callable[[], Outcome],
    log: Log = print,
) -> dict[str, Any]:
    """Point the service at `to`, wait until stable, re-run the health check; return the record."""
    log(f"rolling {service} back from {current} to {to.task_definition_arn} (image {to.image_tag}): {why}")
    ecs.update_service(cluster=cluster, service=service, taskDefinition=to.task_definition_arn)
    stable = wait_stable()
    after = health() if stable.passed else Outcome.fail("not checked: the rolled-back service is not stable")
    record = {
        "rolled_back": True,
        "service": service,
        "from_task_definition": current or "",
        "to_task_definition": to.task_definition_arn,
        "to_image_tag": to.image_tag,
        "to_verified_in_run": to.run_id,
        "why": why,
        "stable_after_rollback": stable.passed,
        "stable_detail": stable.reason,
        "healthy_after_rollback": after.passed,
        "health_detail": after.reason,
    }
    log(
        f"rollback of {service} to {to.task_definition_arn}: "
        f"{'stable' if stable.passed else 'NOT stable'}, {'healthy' if after.passed else 'NOT healthy'} "
        f"({after.reason})"
    )
    return record


def failure_summary(where: str, why: str, record: dict[str, Any]) -> str:
    """The run's first error when blocking checks failed: what failed, what runs now, and what to do."""
    if record.get("rolled_back"):
        well = record.get("stable_after_rollback") and record.get("healthy_after_rollback")
        state = "stable and healthy" if well else f"NOT healthy ({record.get('health_detail') or ''})"
        now = f"Rolled back to {record['to_task_definition']} (image {record['to_image_tag']}), {state}"
        remedy = (
            f"fix the commit and deploy its SHA with git_sha; a deploy without git_sha redeploys the live "
            f"image {record['to_image_tag']}"
        )
    elif record.get("error"):
        now = f"The rollback failed ({record['error']}): the service may still run the failing revision"
        remedy = "deploy the git_sha of a revision that passed, or point the ECS service at it by hand"
    else:
        now = f"Not rolled back: {record.get('why_not', '')}"
        remedy = "fix the cause and deploy again, or deploy the git_sha of a revision that passed"
    return f"{where}: blocking check(s) failed: {why}. {now}. Remedy: {remedy}."
