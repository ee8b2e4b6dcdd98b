"""Whether the service's running tasks are what the deploy intended, and newer than what they read at start.

The service can point at the right task definition while its tasks are not current: tasks of the old
revision still running, or tasks started before a secret they read changed. ECS resolves the container's
`secrets` (`valueFrom`, terraform/app/task-definition.json) once, when a task starts: the Neo4j secret
(credentials and the bolt URLs, i.e. the Neo4j addresses: terraform/databases/secrets.tf writes the
instances' private IPs into it) and the app secret. A task started before the last change of either runs
with the old values until it is replaced, e.g. after a database replacement that did not redeploy the app.

The change time is the secret's `LastChangedDate` (describe_secret; the value is never read). It also moves
on metadata changes (description, tags), so a task may be reported stale after one: the remedy (a new
deployment) is harmless. The current version's CreatedDate is not used: moving the AWSCURRENT label back to
an older version does not change it.
"""

from __future__ import annotations

import datetime
from typing import Any

from .ecs import image_tag_of
from .outcome import Outcome

REMEDY = "aws ecs update-service --force-new-deployment replaces them"


def service_tasks(ecs: Any, cluster: str, service: str) -> list[dict[str, Any]]:
    """The service's tasks that ECS keeps running (desired status RUNNING), described."""
    arns: list[str] = []
    for page in ecs.get_paginator("list_tasks").paginate(
        cluster=cluster, serviceName=service, desiredStatus="RUNNING"
    ):
        arns.extend(page.get("taskArns", []))
    tasks: list[dict[str, Any]] = []
    for start in range(0, len(arns), 100):  # describe_tasks takes at most 100
        tasks.extend(ecs.describe_tasks(cluster=cluster, tasks=arns[start : start + 100]).get("tasks", []))
    return tasks


def secret_changed_at(secrets: Any, name: str) -> datetime.datetime | None:
    """When the secret last changed (LastChangedDate, else its creation), timezone-aware."""
    described = secrets.describe_secret(SecretId=name)
    return described.get("LastChangedDate") or described.get("CreatedDate")


def _iso(moment: datetime.datetime | None) -> str:
    return moment.astimezone(datetime.UTC).isoformat(timespec="seconds") if moment else ""


def tasks_current(
    ecs: Any,
    secrets: Any,
    *,
    cluster: str,
    service: str,
    container: str,
    expected_task_definition: str | None,
    expected_image_tag: str | None,
    secret_names: tuple[str, ...],
) -> Outcome:
    """Every running task runs the deployed task definition and image and started after its secrets changed."""
    problems: list[str] = []
    changed: dict[str, datetime.datetime] = {}
    for name in secret_names:
        try:
            moment = secret_changed_at(secrets, name)
        except secrets.exceptions.ResourceNotFoundException:
            problems.append(f"secret {name} does not exist: no task can read it at start")
            continue
        if moment is not None:
            changed[name] = moment
    tasks = service_tasks(ecs, cluster, service)
    described = []
    for task in tasks:
        task_id = task.get("taskArn", "").rsplit("/", 1)[-1]
        started = task.get("startedAt")
        images = {c.get("name"): c.get("image", "") for c in task.get("containers", [])}
        tag = image_tag_of(images[container]) if images.get(container) else None
        described.append(
            {
                "task": task_id,
                "task_definition": task.get("taskDefinitionArn", ""),
                "image_tag": tag or "",
                "last_status": task.get("lastStatus", ""),
                "started_at": _iso(started),
            }
        )
        definition = task.get("taskDefinitionArn")
        if expected_task_definition and definition != expected_task_definition:
            problems.append(
                f"task {task_id} runs {definition}, the deploy intended {expected_task_definition}"
            )
        if container not in images:
            problems.append(f"task {task_id} has no container {container!r}")
        elif expected_image_tag and tag != expected_image_tag:
            problems.append(
                f"task {task_id} runs image tag {tag!r}, the deploy intended {expected_image_tag!r}"
            )
        if started is None:
            problems.append(f"task {task_id} has not started ({task.get('lastStatus', 'no status')})")
            continue
        stale = [name for name, moment in changed.items() if started < moment]
        if stale:
            listed = ", ".join(f"{name} (changed {_iso(changed[name])})" for name in stale)
            problems.append(
                f"task {task_id} started {_iso(started)}, before {listed}: it runs the old values"
            )
    if not expected_task_definition or not expected_image_tag:
        problems.append(
            "the app's Terraform outputs name no task_definition_arn/image_tag (app not deployed)"
        )
    if not tasks:
        problems.append(f"service {service} has no running task")
    facts = {
        "tasks": described,
        "secrets_changed_at": {name: _iso(moment) for name, moment in changed.items()},
        "expected_task_definition": expected_task_definition or "",
        "expected_image_tag": expected_image_tag or "",
    }
    if problems:
        stale_tasks = any("it runs the old values" in problem for problem in problems)
        return Outcome.fail("; ".join(problems) + (f" ({REMEDY})" if stale_tasks else ""), **facts)
    return Outcome.ok(
        f"{len(tasks)} task(s) of {service} run {expected_task_definition} (image {expected_image_tag}), "
        "started after their secrets last changed",
        **facts,
    )
