"""The deploy policy generated from Terraform roots (sample roots in a temp dir, and this repository's)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from credex_orchestration.operations import iam_policy
from credex_orchestration.operations.iam_actions import TABLE
from credex_orchestration.operations.iam_policy import PolicyTableError, generate, main, stale_reason

CONNECTORS = """
terraform {
  backend "s3" {}
}
data "aws_availability_zones" "available" {}
data "aws_route53_zone" "main" { name = var.domain }
resource "aws_vpc" "main" { cidr_block = var.vpc_cidr }
resource "aws_subnet" "public" {
  count  = 2
  vpc_id = aws_vpc.main.id
}
resource "aws_ecr_repository" "app" { name = "credex-core-${var.environment}" }
resource "aws_lb" "main" {
  name = "credex-alb-${var.environment}"
  dynamic "subnet_mapping" {
    for_each = aws_subnet.public
    content { subnet_id = subnet_mapping.value.id }
  }
}
module "network_rules" { source = "../modules/rules" }
"""
RULES_MODULE = """
resource "aws_vpc_security_group_ingress_rule" "https" { from_port = 443 }
"""
DATABASES = """
resource "aws_instance" "ledgerspace" {
  user_data = <<-EOT
    #!/bin/bash
    echo ready
  EOT
}
resource "random_password" "neo4j" { length = 32 }
resource "aws_secretsmanager_secret" "neo4j" { name = "neo4j_dev_secrets" }
resource "aws_iam_instance_profile" "neo4j" { name = "credex-core-neo4j" }
"""
APP = """
resource "aws_ecs_service" "app" { name = "credex-core-service" }
resource "aws_cloudwatch_log_group" "app" { name = "/ecs/credex-core" }
"""


def _roots(tmp_path: Path, **extra: str) -> Path:
    roots = tmp_path / "terraform"
    for name, body in {
        "connectors": CONNECTORS,
        "databases": DATABASES,
        "app": APP,
        "modules/rules": RULES_MODULE,
        **extra,
    }.items():
        (roots / name).mkdir(parents=True, exist_ok=True)
        (roots / name / "main.tf").write_text(body)
    return roots


def _statements(policy: dict, component: str) -> list[dict]:
    return policy["components"][component]["policy"]["Statement"]


def _granting(policy: dict, component: str, action: str) -> list[dict]:
    return [s for s in _statements(policy, component) if action in s["Action"]]


def test_policy_per_component_is_scoped_and_has_no_wildcard_actions(tmp_path: Path) -> None:
    policy = generate(_roots(tmp_path))
    assert policy["components"]["connectors"]["resource_types"] == [
        "aws_ecr_repository",
        "aws_lb",
        "aws_subnet",
        "aws_vpc",
        "aws_vpc_security_group_ingress_rule",  # from the local module
        "data.aws_availability_zones",
        "data.aws_route53_zone",
    ]
    assert iam_policy.wildcard_actions(policy) == []
    # Named resources are scoped by our name prefixes.
    (ecr,) = _granting(policy, "connectors", "ecr:CreateRepository")
    assert ecr["Resource"] == "arn:aws:ecr:*:*:repository/credex-core-*"
    (lb,) = _granting(policy, "connectors", "elasticloadbalancing:DeleteLoadBalancer")
    assert lb["Resource"] == "arn:aws:elasticloadbalancing:*:*:loadbalancer/app/credex-alb-*/*"
    # EC2 pieces whose ids AWS picks are scoped by the Project tag, on create and on change.
    (create,) = _granting(policy, "connectors", "ec2:CreateVpc")
    assert create["Condition"] == {"StringEquals": {"aws:RequestTag/Project": "credex-core"}}
    (delete,) = _granting(policy, "connectors", "ec2:DeleteVpc")
    assert delete["Condition"] == {"StringEquals": {"aws:ResourceTag/Project": "credex-core"}}
    (ingress,) = _granting(policy, "connectors", "ec2:AuthorizeSecurityGroupIngress")
    assert "aws:ResourceTag/Project" in json.dumps(ingress["Condition"])
    # Only describe-style actions run on "*" without a condition.
    for statement in _statements(policy, "connectors"):
        if statement["Resource"] == "*" and "Condition" not in statement:
            assert all(":Describe" in a or ":List" in a for a in statement["Action"]), statement
    # Secrets, roles: by name; PassRole only to our services.
    (secret,) = _granting(policy, "databases", "secretsmanager:CreateSecret")
    assert "arn:aws:secretsmanager:*:*:secret:neo4j_*_secrets-*" in secret["Resource"]
    (passrole,) = _granting(policy, "databases", "iam:PassRole")
    assert passrole["Resource"] == ["arn:aws:iam::*:role/credex-core-*", "arn:aws:iam::*:role/credex-neo4j-*"]
    assert passrole["Condition"]["StringEquals"]["iam:PassedToService"]
    assert not _granting(policy, "databases", "ecs:CreateService")
    (service,) = _granting(policy, "app", "ecs:UpdateService")
    assert "arn:aws:ecs:*:*:service/credex-cluster-*/credex-core-service-*" in service["Resource"]


def test_a_type_missing_from_the_table_is_named(tmp_path: Path) -> None:
    roots = _roots(tmp_path, app=APP + 'resource "aws_sqs_queue" "jobs" {}\n')
    with pytest.raises(PolicyTableError, match="aws_sqs_queue"):
        generate(roots)
    assert [u.type for u in iam_policy.missing_types(roots)] == ["aws_sqs_queue"]
    assert main(["--roots", str(roots), "--check", "--output", str(tmp_path / "p.json")]) == 1


def test_write_then_check_then_stale_after_a_root_changes(tmp_path: Path) -> None:
    roots, output = _roots(tmp_path), tmp_path / "credex-permissions.json"
    assert stale_reason(roots, output) is not None  # not written yet
    assert main(["--roots", str(roots), "--write", "--output", str(output)]) == 0
    assert main(["--roots", str(roots), "--check", "--output", str(output)]) == 0
    (roots / "app" / "alarms.tf").write_text('resource "aws_cloudwatch_metric_alarm" "cpu" {}\n')
    reason = stale_reason(roots, output)
    assert reason and "stale" in reason and "--write" in reason


def test_the_checked_in_policy_is_current_for_this_repository() -> None:
    assert iam_policy.missing_types(iam_policy.DEFAULT_ROOTS) == []
    assert stale_reason() is None


def test_the_table_covers_the_types_of_the_real_roots() -> None:
    interface = [
        "aws_vpc",
        "aws_subnet",
        "aws_internet_gateway",
        "aws_nat_gateway",
        "aws_eip",
        "aws_route_table",
        "aws_route_table_association",
        "aws_route",
        "aws_security_group",
        "aws_vpc_security_group_ingress_rule",
        "aws_vpc_security_group_egress_rule",
        "aws_lb",
        "aws_lb_target_group",
        "aws_lb_listener",
        "aws_acm_certificate",
        "aws_acm_certificate_validation",
        "aws_route53_record",
        "data.aws_route53_zone",
        "aws_ecr_repository",
        "aws_ecr_lifecycle_policy",
        "aws_key_pair",
        "aws_instance",
        "aws_ebs_volume",
        "aws_volume_attachment",
        "aws_secretsmanager_secret",
        "aws_secretsmanager_secret_version",
        "aws_iam_role",
        "aws_iam_role_policy",
        "aws_iam_role_policy_attachment",
        "aws_iam_instance_profile",
        "aws_ecs_cluster",
        "aws_ecs_service",
        "aws_ecs_task_definition",
        "aws_cloudwatch_log_group",
        "aws_cloudwatch_metric_alarm",
        "random_password",
        "data.aws_caller_identity",
        "data.aws_ami",
        "data.aws_availability_zones",
    ]
    assert [t for t in interface if t not in TABLE] == []


# ----- the package's own AWS calls (outside Terraform) -----

CALLER = """
def verify(session, ecs, self):
    ssm = session.client("ssm")
    ssm.put_parameter(Name="/credex/x/app/live", Value="1", Overwrite=True)
    a, b = session.client("ecr"), session.client("elbv2")
    a.put_image(repositoryName="r", imageManifest="{}", imageTag="t")
    b.describe_target_health(TargetGroupArn="arn")
    ecs.list_tasks(cluster="c")
    self.logs.get_log_events(logGroupName="g", logStreamName="s")
    session.client("acm").describe_certificate(CertificateArn="arn")
    for page in session.client("ec2").get_paginator("describe_snapshots").paginate():
        pass
    ecs.get_waiter("services_stable").wait(cluster="c", services=["s"])
    report.put_parameter("not a client")
"""


def test_every_boto3_call_shape_of_the_package_becomes_its_iam_action(tmp_path: Path) -> None:
    from credex_orchestration.operations.boto_calls import calls_in

    source = tmp_path / "caller.py"
    source.write_text(CALLER)
    assert sorted({call.action for call in calls_in(source)}) == [
        "acm:DescribeCertificate",
        "ec2:DescribeSnapshots",
        "ecr:PutImage",
        "ecs:DescribeServices",  # the waiter's operation
        "ecs:ListTasks",
        "elasticloadbalancing:DescribeTargetHealth",  # elbv2 signs as elasticloadbalancing
        "logs:GetLogEvents",
        "ssm:PutParameter",
    ]


def test_the_policy_grants_every_aws_call_the_deploy_makes_outside_terraform() -> None:
    """Each `client("svc").method` of the package, as its IAM action, is in the component's document."""
    policy = generate()
    assert iam_policy.unassigned_callers() == []
    calls = iam_policy.component_calls()
    missing = [
        f"{component}: {call.action} ({call.file}:{call.line})"
        for component, found in calls.items()
        for call in found
        if not _granting(policy, component, call.action)
    ]
    assert missing == []
    # What issue 15 names: the rollback record, the verification's task reads, the verified tag.
    app = {call.action for call in calls["app"]}
    assert {"ssm:GetParameter", "ssm:PutParameter", "ecs:ListTasks", "ecs:DescribeTasks"} <= app
    assert {"ecr:PutImage", "ecr:BatchGetImage", "ecr:DescribeImages"} <= app
    (record,) = {json.dumps(s["Resource"]) for s in _granting(policy, "app", "ssm:PutParameter")}
    assert json.loads(record) == "arn:aws:ssm:*:*:parameter/credex/*/app/live"
    (tag,) = _granting(policy, "app", "ecr:PutImage")
    assert tag["Resource"] == "arn:aws:ecr:*:*:repository/credex-core-*"
    assert iam_policy.wildcard_actions(policy) == []
    # IAM refuses a managed policy document over 6,144 characters (whitespace not counted).
    sizes = {c: len(json.dumps(e["policy"], separators=(",", ":"))) for c, e in policy["components"].items()}
    assert max(sizes.values()) <= 6144, sizes


def test_a_new_aws_call_without_a_scope_or_a_document_is_named(tmp_path: Path) -> None:
    package = tmp_path / "credex_orchestration"
    (package / "verification").mkdir(parents=True)
    (package / "verification" / "app.py").write_text(
        'def f(session):\n    session.client("sqs").send_message(QueueUrl="q", MessageBody="b")\n'
    )
    with pytest.raises(PolicyTableError, match=r"sqs:SendMessage \(.*verification/app.py:2\)"):
        generate(package=package)
    (package / "verification" / "app.py").write_text("")
    (package / "stray.py").write_text('def f(ssm):\n    ssm.get_parameter(Name="x")\n')
    assert iam_policy.unassigned_callers(package) == ["stray.py"]
    with pytest.raises(PolicyTableError, match="stray.py call AWS but no policy document carries them"):
        generate(package=package)
