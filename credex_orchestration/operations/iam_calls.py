"""The deploy role's permissions for the AWS calls the package makes itself, outside Terraform.

boto_calls.py reads every call from the source; `CALLERS` says which component's policy document carries a
module's calls (each environment's deploy role holds all of them: decision 0132), `ELSEWHERE` the modules
that call AWS under another identity. `CALLS` scopes each action as iam_actions.TABLE does: ARN patterns
from our names, else the `Project=credex-core` tag; Describe/List actions AWS does not scope need no row
(iam_policy puts them on `*`). A call with no row fails the policy check (decision 0186).
"""

from __future__ import annotations

from .. import naming
from .iam_actions import _LB, _LISTENER, _SECRETS, _TG, TABLE, Permissions

CALLERS: dict[str, tuple[str, ...]] = {
    "connectors": ("verification/network.py",),
    "databases": (
        "components/database_rollout.py",
        "components/volumes.py",
        "operations/backups.py",
        "triggers/freshness.py",
        "verification/databases.py",
        # Jobs that act across an environment's components (import, cleanup, orphans, key age): this
        # document carries them, the one with room under IAM's 6,144-character limit for a managed policy.
        "deploy/imports.py",
        "operations/access_keys.py",
        "operations/cleanup.py",
        "operations/orphans.py",
    ),
    "app": (
        "components/app.py",
        "components/app_verification.py",
        "deploy/guards.py",
        "deploy/preflight.py",
        "deploy/promotion.py",
        "lib/ecr.py",
        "verification/app.py",
        "verification/ecs.py",
        "verification/ecs_tasks.py",
        "verification/revisions.py",
        "verification/rollback.py",
    ),
}

ELSEWHERE: dict[str, str] = {
    "rehearsal/": "seeds moto on loopback, never AWS",
    "lib/aws.py": "assumes the deploy role (the run worker's own permission, terraform/orchestrator)",
    "images/": "the AMI builder's own session (images settings), not an environment's deploy role",
    "lib/terraform_state.py": "reads the state object as Terraform does: the state backend statement "
    "(s3:GetObject on credex-terraform-state-*) every document carries",
}

# The same patterns as the Terraform rows, so each service's calls share their statement.
_CLUSTER = TABLE["aws_ecs_cluster"].resources
_SERVICE = TABLE["aws_ecs_service"].resources
_TASK = ("arn:aws:ecs:*:*:task/credex-cluster-*/*",)
_REPOSITORY = ("arn:aws:ecr:*:*:repository/credex-core-*",)
_LOG_GROUP = (
    "arn:aws:logs:*:*:log-group:/ecs/credex-core-*",
    "arn:aws:logs:*:*:log-group:/ecs/credex-core-*:*",
)
# The rollback record: the revision the service runs after the last verification or rollback.
_LIVE_REVISION = (f"arn:aws:ssm:*:*:parameter{naming.live_revision_parameter('*')}",)
_SNAPSHOTS = ("arn:aws:ec2:*::snapshot/*", "arn:aws:ec2:*:*:volume/*")
_DEPLOYMENT_USERS = ("arn:aws:iam::*:user/credex-core-*-deployment",)


def _on(resources: tuple[str, ...], *actions: str) -> dict[str, Permissions]:
    return {action: Permissions(read=(action,), resources=resources) for action in actions}


def _tagged(*actions: str) -> dict[str, Permissions]:
    """Changes to resources AWS names by id: allowed on those tagged Project=credex-core."""
    return {action: Permissions(update=(action,)) for action in actions}


CALLS: dict[str, Permissions] = {
    **_on(_LIVE_REVISION, "ssm:GetParameter", "ssm:PutParameter"),
    **_on(_CLUSTER, "ecs:DescribeClusters", "ecs:DeleteCluster"),
    **_on(_SERVICE, "ecs:DescribeServices", "ecs:UpdateService", "ecs:DeleteService"),
    **_on(_TASK, "ecs:DescribeTasks"),
    **_on(
        _REPOSITORY,
        "ecr:DescribeImages",
        "ecr:BatchGetImage",
        "ecr:PutImage",
        "ecr:ListTagsForResource",
        "ecr:DeleteRepository",
    ),
    **_on(
        _LOG_GROUP,
        "logs:DescribeLogGroups",
        "logs:DescribeLogStreams",
        "logs:GetLogEvents",
        "logs:ListTagsForResource",
        "logs:DeleteLogGroup",
    ),
    **_on(
        _SECRETS,
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
        "secretsmanager:DeleteSecret",
    ),
    **_on((_LB,), "elasticloadbalancing:DeleteLoadBalancer"),
    **_on((_TG,), "elasticloadbalancing:DeleteTargetGroup"),
    **_on((_LISTENER,), "elasticloadbalancing:DeleteListener"),
    **_on(_DEPLOYMENT_USERS, "iam:ListAccessKeys"),
    **_tagged(
        "acm:DescribeCertificate",
        "ec2:ModifyInstanceAttribute",
        "ec2:TerminateInstances",
        "ec2:DetachInternetGateway",
        "ec2:DeleteInternetGateway",
    ),
    # Backup snapshots carry no Project tag (orphans.py would list them for cleanup), and AWS names them by
    # id: scoped to snapshots and volumes of the account only (decision 0186).
    **_on(_SNAPSHOTS, "ec2:CreateSnapshot", "ec2:DeleteSnapshot"),
}
# Read-only calls AWS does not scope to a resource (ListTasks is scoped by a cluster condition at most).
UNSCOPED_CALLS = {"ecs:ListTasks", "tagging:GetResources"}
