"""The ECS service tasks that moto 5.2.1 leaves out, patched into moto when this module is imported (the
rehearsal's moto server does; `python -m` this module runs moto's server with them).

Stands in for exactly what the stale-task and target-health checks read and moto does not model:
- a service has no tasks in moto (MOTO_ECS_SERVICE_RUNNING only sets its counts). Real ECS runs
  `desiredCount` tasks of the service's task definition and replaces them when `update_service` changes
  the task definition or forces a new deployment; here the scheduler does the same, at once.
- `list_tasks(serviceName=...)` ignores the service in moto; here it lists that service's tasks.
- moto's tasks have no `startedAt` and their `lastStatus` walks through moto's state machine on each
  describe; a service task here started when it was created and stays RUNNING until it is replaced.
- ECS registers a service's tasks in the target groups of its load balancers (and deregisters the tasks
  it stops); moto never does, so a target group stays empty. Here each task gets a private address in
  10.255.0.0/16 that is registered on the service's container port (moto reports registered targets
  healthy).
Every other call is moto's own. Only with MOTO_ECS_SERVICE_RUNNING set, as moto's own counts.
"""

from __future__ import annotations

import datetime
import os
import types
from typing import Any

from moto.ecs import models
from moto.server import main

_Backend = models.EC2ContainerServiceBackend
_create_service, _update_service, _list_tasks = (
    _Backend.create_service,
    _Backend.update_service,
    _Backend.list_tasks,
)
_last_status = models.Task.last_status


def _scheduled() -> bool:
    return int(os.environ.get("MOTO_ECS_SERVICE_RUNNING") or 0) > 0


def _schedule(backend: Any, service: Any, replace_all: bool = False) -> None:
    """ECS's scheduler for one service: `desiredCount` tasks of its task definition; others are stopped."""
    tasks = backend.tasks.setdefault(service.cluster_name, {})
    mine = [t for t in tasks.values() if getattr(t, "service_name", None) == service.name]
    running = [t for t in mine if t.desired_status == "RUNNING"]
    for task in running:
        if replace_all or task.task_definition_arn != service.task_definition:
            task.desired_status, task.stopped_reason = "STOPPED", "Task stopped by a new deployment"
    current = [t for t in running if t.desired_status == "RUNNING"]
    for task in current[service.desired_count :]:  # scaled in
        task.desired_status, task.stopped_reason = "STOPPED", "Scaling activity initiated by deployment"
    current = current[: service.desired_count]
    definition = backend.describe_task_definition(service.task_definition)
    # The task as ECS describes it; its ENI is not modelled (the check reads none).
    without_eni = types.SimpleNamespace(
        arn=definition.arn, network_mode=None, container_definitions=definition.container_definitions
    )
    stopped = [t for t in mine if t.desired_status == "STOPPED" and getattr(t, "target_ip", None)]
    for task in stopped:
        _targets(backend, service, task, register=False)
    for _ in range(max(0, service.desired_count - len(current))):
        task = models.Task(
            cluster=backend._get_cluster(service.cluster_name),
            task_definition=without_eni,
            container_instance_arn=None,
            resource_requirements=None,
            backend=backend,
            group=f"service:{service.name}",
            launch_type=service.launch_type or "FARGATE",
            started_by=service.deployments[0]["id"] if service.deployments else "",
        )
        task.service_name = service.name
        task.started_at = datetime.datetime.now(datetime.UTC)
        tasks[task.task_arn] = task
        _targets(backend, service, task, register=True)


_addresses = iter(f"10.255.{n // 250}.{n % 250 + 1}" for n in range(250 * 250))


def _targets(backend: Any, service: Any, task: Any, *, register: bool) -> None:
    """Register (or deregister) the task's address in the target groups of the service's load balancers."""
    from moto.elbv2.models import elbv2_backends

    balancers = getattr(service, "load_balancers", None) or []
    if not balancers:
        return
    elbv2 = elbv2_backends[backend.account_id][backend.region_name]
    if register:
        task.target_ip = next(_addresses)
    for balancer in balancers:
        group = balancer.get("targetGroupArn")
        if not group:
            continue
        target = [{"Id": task.target_ip, "Port": balancer.get("containerPort")}]
        try:
            (elbv2.register_targets if register else elbv2.deregister_targets)(group, target)
        except Exception:  # a target group ECS cannot reach is ECS's own error, not modelled here
            continue


def create_service(self: Any, *args: Any, **kwargs: Any) -> Any:
    service = _create_service(self, *args, **kwargs)
    if _scheduled() and service.task_definition:
        _schedule(self, service)
    return service


def update_service(self: Any, service_properties: dict[str, Any]) -> Any:
    forced = bool(service_properties.get("force_new_deployment"))
    service = _update_service(self, service_properties)
    if _scheduled() and service.task_definition:
        _schedule(self, service, replace_all=forced)
    return service


def list_tasks(
    self: Any,
    cluster_str: Any = None,
    container_instance: Any = None,
    family: Any = None,
    started_by: Any = None,
    service_name: Any = None,
    desiredStatus: Any = None,
) -> list:  # noqa: N803
    tasks = _list_tasks(self, cluster_str, container_instance, family, started_by, None, desiredStatus)
    return [t for t in tasks if getattr(t, "service_name", None) == service_name] if service_name else tasks


def _status(task: Any) -> str:
    if getattr(task, "service_name", None):
        return "RUNNING" if task.desired_status == "RUNNING" else "STOPPED"
    return _last_status.fget(task)


_Backend.create_service, _Backend.update_service, _Backend.list_tasks = (
    create_service,
    update_service,
    list_tasks,
)
models.Task.last_status = property(_status, _last_status.fset)

if __name__ == "__main__":
    main()
