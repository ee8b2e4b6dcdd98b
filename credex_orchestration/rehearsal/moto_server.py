"""moto's server for the rehearsal, with the few places where moto 5.2.1 departs from AWS brought back to AWS.

Run as `python -m credex_orchestration.rehearsal.moto_server -H 127.0.0.1 -p PORT` (the rehearsal launcher and tests/support/rehearsal.py do). Each
patch below restores one documented AWS behaviour the real Terraform roots meet, and nothing wider; without
them a no-op plan of the real roots shows changes AWS would never show, or an apply succeeds where AWS fails:

- EC2 DescribeSecurityGroupRules: a rule that references another security group loses its `Description`
  (moto keeps it in the group pair but reads it from the CIDR range only). AWS returns it; without the
  patch every such rule of the connectors root plans "update in place" forever.
- EC2 RunInstances: `DisableApiTermination` is ignored, so every instance starts unprotected and the
  databases root plans "update in place" forever. AWS starts it protected (and then refuses
  TerminateInstances until the protection is lifted, which moto does enforce).
- EC2 MonitorInstances / UnmonitorInstances: not implemented (HTTP 500), so the provider retries creating
  an instance with `monitoring = true` until its timeout. AWS turns detailed monitoring on or off and
  answers with the instances' new monitoring state; the patch does exactly that.
- EC2 CreateNatGateway: without `ConnectivityType` moto stores none (its response passes None over the
  model's "public" default), so a NAT gateway made without it (as the old system's scripts made theirs)
  describes `connectivity_type = ""` and importing it plans a replacement. AWS defaults it to "public".
- ECS CreateService: `healthCheckGracePeriodSeconds`, `enableECSManagedTags` and
  `availabilityZoneRebalancing` are dropped (UpdateService keeps them), so the app root plans "update in
  place" forever. AWS stores and describes them.
- Route53 ChangeResourceRecordSets: `CREATE` of a record set whose name, type and set identifier already
  exist is accepted (moto only refuses a byte-identical repeat). AWS refuses it with InvalidChangeBatch
  "Tried to create resource record set ... but it already exists"; the connectors root must survive the
  record the old system left for the domain (allow_overwrite, an UPSERT), and the rehearsal shows it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

# moto's waits set to what a rehearsal needs: the certificate is issued on the first describe, services
# report their task running, no 2 s catalogue of public images, AWS managed policies exist (the SSM policy
# attachment of the databases root works).
REHEARSAL_MOTO_ENV = {
    "MOTO_ACM_VALIDATION_WAIT": "0",
    "MOTO_ECS_SERVICE_RUNNING": "1",
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
}


def _security_group_rule_description() -> None:
    from moto.ec2.models.security_groups import SecurityGroupRule

    def description(self: SecurityGroupRule) -> str | None:
        return self.ip_range.get("Description") or (self.source_group or {}).get("Description")

    SecurityGroupRule.description = property(description)  # type: ignore[assignment]


def _route53_create_refuses_existing() -> None:
    from moto.route53.exceptions import ResourceRecordAlreadyExists
    from moto.route53.models import FakeZone, RecordSet

    original = FakeZone.add_rrset

    def add_rrset(self: FakeZone, record_set: dict[str, Any]) -> RecordSet:
        new = RecordSet(record_set)
        for existing in self.rrsets:
            if (existing.name.lower(), existing.type, existing.set_identifier) == (
                new.name.lower(),
                new.type,
                new.set_identifier,
            ):
                raise ResourceRecordAlreadyExists(name=new.name, _type=new.type)
        return original(self, record_set)

    FakeZone.add_rrset = add_rrset  # type: ignore[method-assign]


def _ec2_run_instances_termination_protection() -> None:
    from moto.core.responses import ActionResult
    from moto.ec2.responses.instances import InstanceResponse

    original = InstanceResponse.run_instances

    def run_instances(self: InstanceResponse) -> ActionResult:
        protected = bool(self._get_param("DisableApiTermination"))
        result = original(self)
        for instance in result.result.instances if protected else ():
            instance.disable_api_termination = True
        return result

    InstanceResponse.run_instances = run_instances  # type: ignore[method-assign]


def _ecs_create_service_settings() -> None:
    from moto.core.responses import ActionResult
    from moto.ecs.responses import EC2ContainerServiceResponse

    original = EC2ContainerServiceResponse.create_service
    kept = {
        "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
        "enableECSManagedTags": "enable_ecs_managed_tags",
        "availabilityZoneRebalancing": "availability_zone_rebalancing",
    }

    def create_service(self: EC2ContainerServiceResponse) -> ActionResult:
        result = original(self)
        service = result.result["service"]
        for parameter, attribute in kept.items():
            value = self._get_param(parameter)
            if value is not None:
                setattr(service, attribute, value)
        return result

    EC2ContainerServiceResponse.create_service = create_service  # type: ignore[method-assign]


def _ec2_nat_gateway_connectivity_type() -> None:
    from moto.ec2.models.nat_gateways import NatGateway, NatGatewayBackend

    original = NatGatewayBackend.create_nat_gateway

    def create_nat_gateway(self: NatGatewayBackend, *args: Any, **kwargs: Any) -> NatGateway:
        kwargs["connectivity_type"] = kwargs.get("connectivity_type") or "public"
        return original(self, *args, **kwargs)

    NatGatewayBackend.create_nat_gateway = create_nat_gateway  # type: ignore[method-assign]


def _ec2_monitoring() -> None:
    from moto.core.responses import ActionResult
    from moto.ec2.responses.monitoring import Monitoring

    def answer(self: Monitoring, state: str) -> ActionResult:
        self.error_on_dryrun()
        changed = []
        for instance in self.ec2_backend.get_multi_instances_by_id(self._get_param("InstanceIds", [])):
            instance.monitoring_state = state
            changed.append({"InstanceId": instance.id, "Monitoring": {"State": state}})
        return ActionResult({"InstanceMonitorings": changed})

    Monitoring.monitor_instances = lambda self: answer(self, "enabled")  # type: ignore[method-assign]
    Monitoring.unmonitor_instances = lambda self: answer(self, "disabled")  # type: ignore[method-assign]


PATCHES = (
    _security_group_rule_description,
    _ec2_run_instances_termination_protection,
    _ec2_monitoring,
    _ec2_nat_gateway_connectivity_type,
    _ecs_create_service_settings,
    _route53_create_refuses_existing,
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MotoProcess:
    """`python -m <module>` (this module: moto with the patches above) as a server process on
    127.0.0.1:<free port>, with `defaults` (the rehearsal's waits) and `env` in its environment only.

    `log` receives the server's output (moto answers 500 with its traceback only there); else it is dropped.
    """

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        module: str = __name__,
        defaults: Mapping[str, str] = REHEARSAL_MOTO_ENV,
        log: Path | None = None,
    ) -> None:
        self.module = module
        self.port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._env = {**os.environ, **defaults, **(env or {})}
        self._process: subprocess.Popen | None = None

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs (the benchmarks read its CPU time)."""
        return self._process.pid if self._process and self._process.poll() is None else None

    def start(self) -> Self:
        command = [sys.executable, "-m", self.module, "-H", "127.0.0.1", "-p", str(self.port)]
        if self.log is None:
            self._process = subprocess.Popen(
                command, env=self._env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        else:
            with self.log.open("ab") as output:
                self._process = subprocess.Popen(command, env=self._env, stdout=output, stderr=output)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"moto ({self.module}) exited with {self._process.returncode}")
            try:
                urllib.request.urlopen(f"{self.endpoint_url}/moto-api/data.json", timeout=1).read()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"moto ({self.module}) did not answer within 30 s")

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        urllib.request.urlopen(request, timeout=10).read()

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:
    for patch in PATCHES:
        patch()
    from moto.server import main as moto_main

    from . import moto_ecs  # noqa: F401  (ECS service tasks and their target registration, on import)

    moto_main()


if __name__ == "__main__":
    main()
