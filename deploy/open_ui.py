"""Open the orchestrator UI on http://127.0.0.1:3000 through an SSM port-forwarding session (decision 0131).

    .venv/bin/python deploy/open_ui.py [--local-port 3000] [--print]

Finds the running webserver task of the `credex-orchestrator` cluster and starts
`aws ssm start-session --target ecs:<cluster>_<task id>_<runtime id>` with the document
AWS-StartPortForwardingSession (ECS Exec). Needs the AWS CLI with the session-manager-plugin, and credentials
of a deployer whose permissions include the `credex-orchestrator-ui-access` policy. `--print` shows the
command instead of running it.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys

import boto3

CLUSTER = "credex-orchestrator"
SERVICE = "credex-orchestrator-webserver"
CONTAINER = "webserver"


def session_command(local_port: int, region: str) -> list[str]:
    ecs = boto3.client("ecs", region_name=region)
    arns = ecs.list_tasks(cluster=CLUSTER, serviceName=SERVICE, desiredStatus="RUNNING")["taskArns"]
    if not arns:
        raise SystemExit(
            f"open_ui: no running task of {SERVICE} in cluster {CLUSTER} (is the orchestrator deployed?)"
        )
    task = ecs.describe_tasks(cluster=CLUSTER, tasks=arns[:1])["tasks"][0]
    runtime = next((c.get("runtimeId") for c in task["containers"] if c["name"] == CONTAINER), None)
    if not runtime:
        raise SystemExit(
            f"open_ui: task {arns[0]} has no running {CONTAINER} container yet; retry in a minute"
        )
    task_id = task["taskArn"].rsplit("/", 1)[1]
    parameters = json.dumps({"portNumber": ["3000"], "localPortNumber": [str(local_port)]})
    return [
        "aws", "ssm", "start-session", "--region", region,
        "--target", f"ecs:{CLUSTER}_{task_id}_{runtime}",
        "--document-name", "AWS-StartPortForwardingSession",
        "--parameters", parameters,
    ]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--local-port", type=int, default=3000)
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "af-south-1"))
    parser.add_argument("--print", action="store_true", dest="print_only")
    args = parser.parse_args()
    command = session_command(args.local_port, args.region)
    if args.print_only:
        print(shlex.join(command))
        return 0
    print(
        f"open_ui: http://127.0.0.1:{args.local_port} while this session runs (Ctrl-C ends it)",
        file=sys.stderr,
    )
    os.execvp(command[0], command)


if __name__ == "__main__":
    raise SystemExit(main())
