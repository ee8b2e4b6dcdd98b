"""Checks 1 and 2: the ECS rollout finished, and the service runs what this run deployed.

`aws ecs wait services-stable` can return while a rollout is still in progress (the old system's mistake 9),
so stability is read from the PRIMARY deployment's `rolloutState`, polled within a bound.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .outcome import Outcome

Log = Callable[[str], None]
Redact = Callable[[str], str]


def primary_deployment(service: dict[str, Any]) -> dict[str, Any] | None:
    return next((d for d in service.get("deployments", []) if d.get("status") == "PRIMARY"), None)


def describe_service(ecs: Any, cluster: str, service: str) -> dict[str, Any] | None:
    answer = ecs.describe_services(cluster=cluster, services=[service])
    return next(iter(answer.get("services", [])), None)


def stopped_tasks(ecs: Any, cluster: str, service: str, limit: int = 10) -> list[dict[str, Any]]:
    """Why the service's recent tasks stopped (task and container reasons)."""
    arns = ecs.list_tasks(cluster=cluster, serviceName=service, desiredStatus="STOPPED").get("taskArns", [])
    if not arns:
        return []
    tasks = ecs.describe_tasks(cluster=cluster, tasks=arns[:limit]).get("tasks", [])
    return [
        {
            "task": task.get("taskArn", "").rsplit("/", 1)[-1],
            "task_definition": task.get("taskDefinitionArn", ""),
            "stopped_reason": task.get("stoppedReason", ""),
            "stop_code": task.get("stopCode", ""),
            "containers": [
                {"name": c.get("name"), "exit_code": c.get("exitCode"), "reason": c.get("reason", "")}
                for c in task.get("containers", [])
            ],
        }
        for task in tasks
    ]


def last_log_lines(logs: Any, log_group: str, count: int) -> list[str]:
    """The newest `count` lines of the most recently written stream of `log_group`."""
    if count <= 0:
        return []
    try:
        streams = logs.describe_log_streams(
            logGroupName=log_group, orderBy="LastEventTime", descending=True, limit=1
        ).get("logStreams", [])
    except logs.exceptions.ResourceNotFoundException:
        return [f"(log group {log_group} does not exist)"]
    if not streams:
        return [f"(log group {log_group} has no streams)"]
    events = logs.get_log_events(
        logGroupName=log_group, logStreamName=streams[0]["logStreamName"], limit=count, startFromHead=False
    ).get("events", [])
    return [f"{streams[0]['logStreamName']}: {event['message']}" for event in events[-count:]]


def _failure_evidence(
    ecs: Any, logs: Any, cluster: str, service: str, log_group: str, lines: int, redact: Redact
) -> dict:
    """Stopped tasks' reasons and the last log lines, scrubbed: the app may print what it should not."""
    evidence: dict[str, Any] = {}
    try:
        evidence["stopped_tasks"] = [
            {**task, "stopped_reason": redact(task["stopped_reason"]),
             "containers": [{**c, "reason": redact(c["reason"] or "")} for c in task["containers"]]}
            for task in stopped_tasks(ecs, cluster, service)
        ]  # fmt: skip
    except Exception as error:  # evidence is best effort: the failure itself is already known
        evidence["stopped_tasks_error"] = redact(f"{type(error).__name__}: {error}")
    try:
        evidence["log_lines"] = [redact(line) for line in last_log_lines(logs, log_group, lines)]
    except Exception as error:
        evidence["log_lines_error"] = redact(f"{type(error).__name__}: {error}")
    return evidence


def wait_until_stable(
    ecs: Any,
    logs: Any,
    *,
    cluster: str,
    service: str,
    log_group: str,
    timeout_seconds: float,
    poll_interval_seconds: float,
    log_lines: int = 20,
    log: Log = print,
    redact: Redact = str,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Poll until the PRIMARY deployment is COMPLETED with running == desired; fail fast on FAILED."""
    started = clock()
    polls = 0
    while True:
        polls += 1
        elapsed = clock() - started
        found = describe_service(ecs, cluster, service)
        if found is None:
            return Outcome.fail(f"service {service} not found in cluster {cluster}", cluster=cluster)
        primary = primary_deployment(found)
        if primary is None:
            return Outcome.fail(f"service {service} has no PRIMARY deployment", cluster=cluster)
        state = primary.get("rolloutState", "UNKNOWN")
        running, desired = primary.get("runningCount", 0), primary.get("desiredCount", 0)
        facts = {
            "rollout_state": state,
            "rollout_state_reason": primary.get("rolloutStateReason", ""),
            "running_count": running,
            "desired_count": desired,
            "pending_count": primary.get("pendingCount", 0),
            "failed_tasks": primary.get("failedTasks", 0),
            "deployments": len(found.get("deployments", [])),
            "elapsed_seconds": round(elapsed, 1),
            "polls": polls,
        }
        log(
            f"{service}: {elapsed:.0f}s, rollout {state}, running {running}/{desired}, "
            f"pending {facts['pending_count']}, failed tasks {facts['failed_tasks']}"
        )
        if state == "FAILED":
            evidence = _failure_evidence(ecs, logs, cluster, service, log_group, log_lines, redact)
            return Outcome.fail(
                f"rollout of {service} FAILED (circuit breaker): {facts['rollout_state_reason']}",
                **facts,
                **evidence,
            )
        if state == "COMPLETED" and running == desired and found.get("runningCount", running) == desired:
            return Outcome.ok(f"{service} stable: rollout COMPLETED, {running}/{desired} running", **facts)
        if elapsed + poll_interval_seconds > timeout_seconds:
            evidence = _failure_evidence(ecs, logs, cluster, service, log_group, log_lines, redact)
            return Outcome.fail(
                f"{service} not stable within {timeout_seconds:g}s: rollout {state}, running {running}/{desired}",
                **facts,
                **evidence,
            )
        sleep(poll_interval_seconds)


def image_tag_of(image: str) -> str | None:
    """`repo/name:tag` -> tag (a registry port `host:5000/name` is not a tag)."""
    name = image.rsplit("/", 1)[-1]
    return name.rsplit(":", 1)[1] if ":" in name else None


def status(
    ecs: Any,
    *,
    cluster: str,
    service: str,
    container: str,
    expected_task_definition: str | None,
    expected_image_tag: str | None,
) -> Outcome:
    """Cluster and service ACTIVE; the service runs the task definition and image this run deployed."""
    clusters = ecs.describe_clusters(clusters=[cluster]).get("clusters", [])
    cluster_status = clusters[0].get("status") if clusters else "MISSING"
    found = describe_service(ecs, cluster, service)
    service_status = found.get("status") if found else "MISSING"
    running_definition = found.get("taskDefinition") if found else None
    facts: dict[str, Any] = {
        "cluster_status": cluster_status,
        "service_status": service_status,
        "running_task_definition": running_definition or "",
        "expected_task_definition": expected_task_definition or "",
        "expected_image_tag": expected_image_tag or "",
    }
    problems = []
    if cluster_status != "ACTIVE":
        problems.append(f"cluster {cluster} is {cluster_status}")
    if service_status != "ACTIVE":
        problems.append(f"service {service} is {service_status}")
    if not expected_task_definition or not expected_image_tag:
        problems.append(
            "the app's Terraform outputs name no task_definition_arn/image_tag (app not deployed)"
        )
    if running_definition:
        definition = ecs.describe_task_definition(taskDefinition=running_definition)["taskDefinition"]
        images = {c["name"]: c.get("image", "") for c in definition.get("containerDefinitions", [])}
        image = images.get(container)
        facts["image"] = image or ""
        facts["image_tag"] = (image_tag_of(image) if image else None) or ""
        if expected_task_definition and running_definition != expected_task_definition:
            problems.append(
                f"service runs {running_definition}, but this deploy's task definition is {expected_task_definition}"
            )
        if image is None:
            problems.append(f"task definition {running_definition} has no container {container!r}")
        elif expected_image_tag and facts["image_tag"] != expected_image_tag:
            problems.append(
                f"image tag is {facts['image_tag']!r}, deployed git SHA is {expected_image_tag!r}"
            )
    if problems:
        return Outcome.fail("; ".join(problems), **facts)
    return Outcome.ok(f"{service} ACTIVE on {running_definition} (image {expected_image_tag})", **facts)
