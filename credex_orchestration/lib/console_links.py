"""AWS console pages of what a component deployed, from its outputs: where a person clicks to look.

Pure string work on the values Terraform reports (ids, ARNs, names); no AWS call. A page whose inputs are
missing is left out rather than guessed. The log group link opens its events from the run's start on
(`start` in epoch milliseconds), which are the run's new tasks: task ids are not known at deploy time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

_ECR_URL = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<repo>.+)$")
_TASK_DEF = re.compile(r"^arn:aws[a-z-]*:ecs:[^:]+:\d+:task-definition/(?P<family>[^:]+):(?P<revision>\d+)$")


def _console(region: str, path: str) -> str:
    return f"https://{region}.console.aws.amazon.com/{path}"


def _fragment(text: str) -> str:
    """CloudWatch's console encodes a fragment's own URL syntax twice ('/' -> $252F, '?' -> $3F)."""
    return quote(quote(text, safe=""), safe="").replace("%", "$")


def log_group_url(region: str, log_group: str, start_ms: int | None = None) -> str:
    query = f"$3Fstart$3D{start_ms}" if start_ms is not None else ""
    return _console(
        region,
        f"cloudwatch/home?region={region}#logsV2:log-groups/log-group/{_fragment(log_group)}/log-events{query}",
    )


def console_links(
    region: str, values: Mapping[str, Any], run_started_ms: int | None = None
) -> dict[str, str]:
    """`<page>_console` -> URL for every page the values allow (VPC, ALB, ECS service, task definition,
    log group, ECR image, AMI)."""

    def text(name: str) -> str | None:
        value = values.get(name)
        return value if isinstance(value, str) and value else None

    links: dict[str, str] = {}
    if vpc := text("vpc_id"):
        links["vpc_console"] = _console(region, f"vpcconsole/home?region={region}#VpcDetails:VpcId={vpc}")
    if alb := text("alb_arn"):
        links["alb_console"] = _console(
            region, f"ec2/home?region={region}#LoadBalancer:loadBalancerArn={alb}"
        )
    cluster, service = text("cluster_name"), text("service_name")
    if cluster and service:
        links["ecs_service_console"] = _console(
            region, f"ecs/v2/clusters/{quote(cluster)}/services/{quote(service)}/health?region={region}"
        )
    if (arn := text("task_definition_arn")) and (match := _TASK_DEF.match(arn)):
        links["task_definition_console"] = _console(
            region,
            f"ecs/v2/task-definitions/{quote(match['family'])}/{match['revision']}/containers?region={region}",
        )
    if log_group := text("log_group_name"):
        links["log_group_console"] = log_group_url(region, log_group, run_started_ms)
    if (url := text("ecr_repository_url")) and (match := _ECR_URL.match(url)):
        repository = _console(
            match["region"], f"ecr/repositories/private/{match['account']}/{quote(match['repo'])}"
        )
        tag = text("image_tag")
        # The console's image page needs the digest, which the deploy does not know: the repository's image
        # list filtered to the tag is the closest page.
        links["ecr_image_console"] = f"{repository}?region={match['region']}" + (
            f"&imageTagFilter={quote(tag)}" if tag else ""
        )
    if ami := text("neo4j_ami_id") or text("ami_id"):
        links["ami_console"] = _console(region, f"ec2/home?region={region}#ImageDetails:imageId={ami}")
    return links
