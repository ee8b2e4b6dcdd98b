"""A stand-in for exactly one EC2 call, DescribeInstanceStatus, for the roll-out's health wait on moto.

moto reports an instance's status checks "ok" the moment it runs, so a Neo4j instance that never becomes
healthy on a new image cannot happen there. `ImpairedStatusChecks` hands the roll-out AWS sessions on moto
whose EC2 client answers DescribeInstanceStatus as AWS does for an instance whose boot failed (instance
status "impaired", reachability "failed", system status "ok"); every other call goes to moto.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from credex_orchestration.environments import Environment
from credex_orchestration.lib.aws import AwsSession
from credex_orchestration.resources import AwsResource


class ImpairedStatusChecks:
    """`AwsResource.session` on moto, with DescribeInstanceStatus reporting every asked instance impaired.

    `asked` lists the instance ids of every stood-in call, so a test can show the wait really asked.
    """

    def __init__(self, endpoint_url: str) -> None:
        self._aws = AwsResource(endpoint_url=endpoint_url)
        self.asked: list[list[str]] = []

    def session(self, environment: Environment) -> AwsSession:
        session = self._aws.session(environment)
        session.client("ec2").meta.events.register("before-call.ec2.DescribeInstanceStatus", self._answer)
        return session

    def _answer(self, params: dict[str, Any], **_: Any) -> tuple[SimpleNamespace, dict[str, Any]]:
        body = params.get("body") or {}
        ids = [value for key, value in sorted(body.items()) if key.startswith("InstanceId.")]
        self.asked.append(ids)
        statuses = [
            {
                "InstanceId": instance_id,
                "InstanceState": {"Code": 16, "Name": "running"},
                "InstanceStatus": {
                    "Status": "impaired",
                    "Details": [{"Name": "reachability", "Status": "failed"}],
                },
                "SystemStatus": {"Status": "ok", "Details": [{"Name": "reachability", "Status": "passed"}]},
            }
            for instance_id in ids
        ]
        return SimpleNamespace(status_code=200, headers={}), {"InstanceStatuses": statuses}
