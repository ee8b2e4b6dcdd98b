"""The table: each Terraform resource/data type of the roots -> IAM actions to create, read, update, delete it.

Scope per type: `resources` are ARN patterns built from our name prefixes (naming.py); a type without them
(EC2 network pieces, whose ids AWS picks) is scoped by the `Project=credex-core` tag instead. `Describe*`/`List*`
actions that AWS does not scope go to one read-only statement on `*`. No action is a service-wide wildcard.
Types not in the table fail the policy check: a new type needs a row here first
(docs/decisions/0052-generated-deploy-policy.md).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Permissions:
    create: tuple[str, ...] = ()
    read: tuple[str, ...] = ()
    update: tuple[str, ...] = ()
    delete: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()  # ARN patterns; empty: scoped by tag
    # Create actions that take the tags in the request (aws:RequestTag); others need aws:ResourceTag.
    tag_on_create: bool = True

    def actions(self) -> set[str]:
        return {*self.create, *self.read, *self.update, *self.delete}


_EC2_READ = ("ec2:DescribeTags",)
_VPC_READ = ("ec2:DescribeVpcs", "ec2:DescribeVpcAttribute", *_EC2_READ)
_SG_READ = ("ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules", *_EC2_READ)
_ELB_READ = ("elasticloadbalancing:DescribeTags",)
_LB = "arn:aws:elasticloadbalancing:*:*:loadbalancer/app/credex-alb-*/*"
_TG = "arn:aws:elasticloadbalancing:*:*:targetgroup/credex-tg-*/*"
_LISTENER = "arn:aws:elasticloadbalancing:*:*:listener/app/credex-alb-*/*"
# The roots' roles: credex-core-{execution,task}-role-<env> (app), credex-neo4j-role-<env> (databases).
_ROLES = ("arn:aws:iam::*:role/credex-core-*", "arn:aws:iam::*:role/credex-neo4j-*")
_PROFILES = (
    "arn:aws:iam::*:instance-profile/credex-neo4j-*",
    "arn:aws:iam::*:instance-profile/credex-core-*",
)
_SECRETS = (
    "arn:aws:secretsmanager:*:*:secret:neo4j_*_secrets-*",
    "arn:aws:secretsmanager:*:*:secret:credex-core-*",
    "arn:aws:secretsmanager:*:*:secret:credex-neo4j-*",
)
# credex-core-alarms-<env> and its subscriptions (<topic arn>:<id>).
_ALARM_TOPICS = ("arn:aws:sns:*:*:credex-core-alarms-*", "arn:aws:sns:*:*:credex-core-alarms-*:*")
_ZONE = ("arn:aws:route53:::hostedzone/*", "arn:aws:route53:::change/*")
_SERVICE_ROLE_TYPES = ("ecs-tasks.amazonaws.com", "ec2.amazonaws.com")

NO_PERMISSIONS = Permissions()  # provider-local types (random, tls) and free data sources

TABLE: dict[str, Permissions] = {
    # ----- network (connectors) -----
    "aws_vpc": Permissions(
        create=("ec2:CreateVpc",),
        read=_VPC_READ,
        update=("ec2:ModifyVpcAttribute", "ec2:CreateTags", "ec2:DeleteTags"),
        delete=("ec2:DeleteVpc",),
    ),
    "aws_subnet": Permissions(
        create=("ec2:CreateSubnet",),
        read=("ec2:DescribeSubnets", *_EC2_READ),
        update=("ec2:ModifySubnetAttribute", "ec2:CreateTags", "ec2:DeleteTags"),
        delete=("ec2:DeleteSubnet",),
    ),
    "aws_internet_gateway": Permissions(
        create=("ec2:CreateInternetGateway", "ec2:AttachInternetGateway"),
        read=("ec2:DescribeInternetGateways", *_EC2_READ),
        update=("ec2:CreateTags", "ec2:DeleteTags"),
        delete=("ec2:DetachInternetGateway", "ec2:DeleteInternetGateway"),
    ),
    "aws_eip": Permissions(
        create=("ec2:AllocateAddress",),
        read=("ec2:DescribeAddresses", "ec2:DescribeAddressesAttribute", *_EC2_READ),
        update=("ec2:CreateTags", "ec2:DeleteTags"),
        delete=("ec2:ReleaseAddress", "ec2:DisassociateAddress"),
    ),
    "aws_nat_gateway": Permissions(
        create=("ec2:CreateNatGateway",),
        read=("ec2:DescribeNatGateways", *_EC2_READ),
        update=("ec2:CreateTags", "ec2:DeleteTags"),
        delete=("ec2:DeleteNatGateway",),
    ),
    "aws_route_table": Permissions(
        create=("ec2:CreateRouteTable",),
        read=("ec2:DescribeRouteTables", *_EC2_READ),
        update=("ec2:CreateRoute", "ec2:ReplaceRoute", "ec2:DeleteRoute", "ec2:CreateTags", "ec2:DeleteTags"),
        delete=("ec2:DeleteRouteTable",),
    ),
    "aws_route": Permissions(
        create=("ec2:CreateRoute",),
        read=("ec2:DescribeRouteTables",),
        update=("ec2:ReplaceRoute",),
        delete=("ec2:DeleteRoute",),
        tag_on_create=False,
    ),
    "aws_route_table_association": Permissions(
        create=("ec2:AssociateRouteTable",),
        read=("ec2:DescribeRouteTables",),
        update=("ec2:ReplaceRouteTableAssociation",),
        delete=("ec2:DisassociateRouteTable",),
        tag_on_create=False,
    ),
    "aws_security_group": Permissions(
        create=("ec2:CreateSecurityGroup",),
        read=_SG_READ,
        update=(
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:AuthorizeSecurityGroupEgress",
            "ec2:RevokeSecurityGroupIngress",
            "ec2:RevokeSecurityGroupEgress",
            "ec2:CreateTags",
            "ec2:DeleteTags",
        ),
        delete=("ec2:DeleteSecurityGroup",),
    ),
    "aws_vpc_security_group_ingress_rule": Permissions(
        create=("ec2:AuthorizeSecurityGroupIngress",),
        read=_SG_READ,
        update=("ec2:ModifySecurityGroupRules", "ec2:UpdateSecurityGroupRuleDescriptionsIngress"),
        delete=("ec2:RevokeSecurityGroupIngress",),
        tag_on_create=False,
    ),
    "aws_vpc_security_group_egress_rule": Permissions(
        create=("ec2:AuthorizeSecurityGroupEgress",),
        read=_SG_READ,
        update=("ec2:ModifySecurityGroupRules", "ec2:UpdateSecurityGroupRuleDescriptionsEgress"),
        delete=("ec2:RevokeSecurityGroupEgress",),
        tag_on_create=False,
    ),
    "aws_key_pair": Permissions(
        create=("ec2:ImportKeyPair",),
        read=("ec2:DescribeKeyPairs", *_EC2_READ),
        update=("ec2:CreateTags", "ec2:DeleteTags"),
        delete=("ec2:DeleteKeyPair",),
        resources=("arn:aws:ec2:*:*:key-pair/credex-key-pair-*",),
    ),
    # ----- load balancer -----
    "aws_lb": Permissions(
        create=("elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:AddTags"),
        read=(
            "elasticloadbalancing:DescribeLoadBalancers",
            "elasticloadbalancing:DescribeLoadBalancerAttributes",
            *_ELB_READ,
        ),
        update=(
            "elasticloadbalancing:ModifyLoadBalancerAttributes",
            "elasticloadbalancing:SetSecurityGroups",
            "elasticloadbalancing:SetSubnets",
            "elasticloadbalancing:AddTags",
            "elasticloadbalancing:RemoveTags",
        ),
        delete=("elasticloadbalancing:DeleteLoadBalancer",),
        resources=(_LB,),
    ),
    "aws_lb_target_group": Permissions(
        create=("elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:AddTags"),
        read=(
            "elasticloadbalancing:DescribeTargetGroups",
            "elasticloadbalancing:DescribeTargetGroupAttributes",
            *_ELB_READ,
        ),
        update=(
            "elasticloadbalancing:ModifyTargetGroup",
            "elasticloadbalancing:ModifyTargetGroupAttributes",
            "elasticloadbalancing:AddTags",
            "elasticloadbalancing:RemoveTags",
        ),
        delete=("elasticloadbalancing:DeleteTargetGroup",),
        resources=(_TG,),
    ),
    "aws_lb_listener": Permissions(
        create=("elasticloadbalancing:CreateListener", "elasticloadbalancing:AddTags"),
        read=(
            "elasticloadbalancing:DescribeListeners",
            "elasticloadbalancing:DescribeListenerAttributes",
            *_ELB_READ,
        ),
        update=(
            "elasticloadbalancing:ModifyListener",
            "elasticloadbalancing:AddTags",
            "elasticloadbalancing:RemoveTags",
        ),
        delete=("elasticloadbalancing:DeleteListener",),
        resources=(_LB, _LISTENER, _TG),
    ),
    # ----- certificate and DNS -----
    "aws_acm_certificate": Permissions(
        create=("acm:RequestCertificate", "acm:AddTagsToCertificate"),
        read=("acm:DescribeCertificate", "acm:ListTagsForCertificate"),
        update=("acm:AddTagsToCertificate", "acm:RemoveTagsFromCertificate"),
        delete=("acm:DeleteCertificate",),
    ),
    "aws_acm_certificate_validation": Permissions(read=("acm:DescribeCertificate",)),
    "aws_route53_record": Permissions(
        create=("route53:ChangeResourceRecordSets", "route53:GetChange"),
        read=("route53:ListResourceRecordSets", "route53:GetHostedZone"),
        update=("route53:ChangeResourceRecordSets", "route53:GetChange"),
        delete=("route53:ChangeResourceRecordSets", "route53:GetChange"),
        resources=_ZONE,
    ),
    "data.aws_route53_zone": Permissions(
        read=(
            "route53:ListHostedZones",
            "route53:ListHostedZonesByName",
            "route53:GetHostedZone",
            "route53:ListTagsForResource",
        ),
        resources=_ZONE,
    ),
    # ----- ECR -----
    "aws_ecr_repository": Permissions(
        create=("ecr:CreateRepository", "ecr:TagResource"),
        read=("ecr:DescribeRepositories", "ecr:ListTagsForResource"),
        update=(
            "ecr:PutImageScanningConfiguration",
            "ecr:PutImageTagMutability",
            "ecr:TagResource",
            "ecr:UntagResource",
        ),
        delete=("ecr:DeleteRepository",),
        resources=("arn:aws:ecr:*:*:repository/credex-core-*",),
    ),
    "aws_ecr_lifecycle_policy": Permissions(
        create=("ecr:PutLifecyclePolicy",),
        read=("ecr:GetLifecyclePolicy",),
        update=("ecr:PutLifecyclePolicy",),
        delete=("ecr:DeleteLifecyclePolicy",),
        resources=("arn:aws:ecr:*:*:repository/credex-core-*",),
    ),
    # ----- databases -----
    "aws_instance": Permissions(
        create=("ec2:RunInstances",),
        read=(
            "ec2:DescribeInstances",
            "ec2:DescribeInstanceAttribute",
            "ec2:DescribeInstanceTypes",
            "ec2:DescribeVolumes",
            "ec2:DescribeInstanceCreditSpecifications",
            *_EC2_READ,
        ),
        update=(
            "ec2:ModifyInstanceAttribute",
            "ec2:StopInstances",
            "ec2:StartInstances",
            "ec2:CreateTags",
            "ec2:DeleteTags",
            "ec2:AssociateIamInstanceProfile",
        ),
        delete=("ec2:TerminateInstances",),
    ),
    "aws_ebs_volume": Permissions(
        create=("ec2:CreateVolume",),
        read=("ec2:DescribeVolumes", "ec2:DescribeVolumeAttribute", *_EC2_READ),
        update=("ec2:ModifyVolume", "ec2:CreateTags", "ec2:DeleteTags"),
        delete=("ec2:DeleteVolume",),
    ),
    "aws_volume_attachment": Permissions(
        create=("ec2:AttachVolume",),
        read=("ec2:DescribeVolumes", "ec2:DescribeInstances"),
        delete=("ec2:DetachVolume",),
        tag_on_create=False,
    ),
    "data.aws_ami": Permissions(read=("ec2:DescribeImages",)),
    "data.aws_availability_zones": Permissions(read=("ec2:DescribeAvailabilityZones",)),
    "data.aws_subnet": Permissions(read=("ec2:DescribeSubnets",)),
    "data.aws_vpc": Permissions(read=("ec2:DescribeVpcs",)),
    # ----- secrets -----
    "aws_secretsmanager_secret": Permissions(
        create=("secretsmanager:CreateSecret", "secretsmanager:TagResource"),
        read=("secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy"),
        update=("secretsmanager:UpdateSecret", "secretsmanager:TagResource", "secretsmanager:UntagResource"),
        delete=("secretsmanager:DeleteSecret",),
        resources=_SECRETS,
    ),
    "aws_secretsmanager_secret_version": Permissions(
        create=("secretsmanager:PutSecretValue",),
        read=("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"),
        update=("secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"),
        delete=("secretsmanager:UpdateSecretVersionStage",),
        resources=_SECRETS,
    ),
    "data.aws_secretsmanager_secrets": Permissions(read=("secretsmanager:ListSecrets",)),
    "data.aws_secretsmanager_secret_versions": Permissions(
        read=("secretsmanager:ListSecretVersionIds",), resources=_SECRETS
    ),
    "ephemeral.aws_secretsmanager_secret_version": Permissions(
        read=("secretsmanager:GetSecretValue",), resources=_SECRETS
    ),
    "ephemeral.aws_secretsmanager_random_password": Permissions(read=("secretsmanager:GetRandomPassword",)),
    "data.aws_secretsmanager_secret": Permissions(
        read=("secretsmanager:DescribeSecret",), resources=_SECRETS
    ),
    "data.aws_secretsmanager_secret_version": Permissions(
        read=("secretsmanager:GetSecretValue",), resources=_SECRETS
    ),
    # ----- IAM -----
    "aws_iam_role": Permissions(
        create=("iam:CreateRole", "iam:TagRole"),
        read=(
            "iam:GetRole",
            "iam:ListRolePolicies",
            "iam:ListAttachedRolePolicies",
            "iam:ListInstanceProfilesForRole",
        ),
        update=("iam:UpdateRole", "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole"),
        delete=("iam:DeleteRole",),
        resources=_ROLES,
    ),
    "aws_iam_role_policy": Permissions(
        create=("iam:PutRolePolicy",),
        read=("iam:GetRolePolicy",),
        update=("iam:PutRolePolicy",),
        delete=("iam:DeleteRolePolicy",),
        resources=_ROLES,
    ),
    "aws_iam_role_policy_attachment": Permissions(
        create=("iam:AttachRolePolicy",),
        read=("iam:ListAttachedRolePolicies",),
        delete=("iam:DetachRolePolicy",),
        resources=_ROLES,
    ),
    "aws_iam_instance_profile": Permissions(
        create=(
            "iam:CreateInstanceProfile",
            "iam:AddRoleToInstanceProfile",
            "iam:TagInstanceProfile",
            "iam:PassRole",
        ),
        read=("iam:GetInstanceProfile",),
        update=("iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:PassRole"),
        delete=("iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"),
        resources=(*_PROFILES, *_ROLES),
    ),
    "data.aws_iam_policy_document": NO_PERMISSIONS,
    "data.aws_caller_identity": NO_PERMISSIONS,
    "data.aws_region": NO_PERMISSIONS,
    "data.aws_partition": NO_PERMISSIONS,
    # ----- app -----
    "aws_ecs_cluster": Permissions(
        create=("ecs:CreateCluster", "ecs:TagResource"),
        read=("ecs:DescribeClusters", "ecs:ListTagsForResource"),
        update=("ecs:UpdateCluster", "ecs:UpdateClusterSettings", "ecs:TagResource", "ecs:UntagResource"),
        delete=("ecs:DeleteCluster",),
        resources=("arn:aws:ecs:*:*:cluster/credex-cluster-*",),
    ),
    "aws_ecs_service": Permissions(
        create=("ecs:CreateService", "ecs:TagResource", "iam:PassRole"),
        read=("ecs:DescribeServices", "ecs:ListTagsForResource"),
        update=("ecs:UpdateService", "ecs:TagResource", "ecs:UntagResource", "iam:PassRole"),
        delete=("ecs:DeleteService",),
        resources=(
            "arn:aws:ecs:*:*:service/credex-cluster-*/credex-core-service-*",
            "arn:aws:ecs:*:*:cluster/credex-cluster-*",
            "arn:aws:ecs:*:*:task-definition/credex-core-*:*",
        ),
    ),
    "aws_ecs_task_definition": Permissions(
        # Task definitions cannot be scoped on register/describe: those go to the `*` statement.
        create=("ecs:RegisterTaskDefinition", "ecs:TagResource", "iam:PassRole"),
        read=("ecs:DescribeTaskDefinition",),
        update=("ecs:RegisterTaskDefinition", "ecs:TagResource", "iam:PassRole"),
        delete=("ecs:DeregisterTaskDefinition",),
        resources=("arn:aws:ecs:*:*:task-definition/credex-core-*:*",),
    ),
    "aws_cloudwatch_log_group": Permissions(
        create=("logs:CreateLogGroup", "logs:TagResource", "logs:PutRetentionPolicy"),
        read=("logs:DescribeLogGroups", "logs:ListTagsForResource"),
        update=("logs:PutRetentionPolicy", "logs:TagResource", "logs:UntagResource"),
        delete=("logs:DeleteLogGroup",),
        resources=(
            "arn:aws:logs:*:*:log-group:/ecs/credex-core-*",
            "arn:aws:logs:*:*:log-group:/ecs/credex-core-*:*",
        ),
    ),
    "aws_cloudwatch_metric_alarm": Permissions(
        create=("cloudwatch:PutMetricAlarm", "cloudwatch:TagResource"),
        read=("cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"),
        update=("cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:UntagResource"),
        delete=("cloudwatch:DeleteAlarms",),
        resources=("arn:aws:cloudwatch:*:*:alarm:credex-*",),
    ),
    "aws_sns_topic": Permissions(
        create=("sns:CreateTopic", "sns:TagResource", "sns:SetTopicAttributes"),
        read=("sns:GetTopicAttributes", "sns:ListTagsForResource"),
        update=("sns:SetTopicAttributes", "sns:TagResource", "sns:UntagResource"),
        delete=("sns:DeleteTopic",),
        resources=_ALARM_TOPICS,
    ),
    "aws_sns_topic_subscription": Permissions(
        create=("sns:Subscribe",),
        read=("sns:GetSubscriptionAttributes",),
        update=("sns:SetSubscriptionAttributes",),
        delete=("sns:Unsubscribe",),
        resources=_ALARM_TOPICS,
    ),
    # ----- provider-local -----
    "random_password": NO_PERMISSIONS,
    "random_id": NO_PERMISSIONS,
    "random_string": NO_PERMISSIONS,
    "tls_private_key": NO_PERMISSIONS,
    "null_resource": NO_PERMISSIONS,
}

# Actions AWS does not scope to a resource: they only ever read (or register, for task definitions).
UNSCOPED = {
    "ecs:RegisterTaskDefinition",
    "ecs:DescribeTaskDefinition",
    "ecs:DeregisterTaskDefinition",
    "acm:RequestCertificate",
    "route53:ListHostedZones",
    "route53:ListHostedZonesByName",
    "logs:DescribeLogGroups",
    "cloudwatch:DescribeAlarms",
    "ecr:DescribeRepositories",
    "secretsmanager:ListSecrets",
    "secretsmanager:GetRandomPassword",
}

# Services whose roles the deploy passes (iam:PassRole is limited to these), and the roles it may pass.
PASS_ROLE_TO = _SERVICE_ROLE_TYPES
PASSABLE_ROLES = _ROLES
