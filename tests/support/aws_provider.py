"""The real hashicorp/aws provider (filesystem mirror /opt/tf-plugins) on a small connectors root, for moto.

`write_connectors_root` writes a root with the connectors root's interface (the variables the connectors
step passes, the outputs databases and app read) whose core is real AWS resources: a VPC, the ALB security
group, the ECR repository and a SecureString SSM parameter. Revision 2 changes them the way a deploy does:
a new security-group description (forces replacement), an extra ingress rule, immutable image tags, a new
parameter value (sensitive). The rehearsal world (real roots on moto) is another helper's; this root is
small on purpose: one plan takes a few seconds.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

MIRROR = Path(os.environ.get("CREDEX_TF_PROVIDER_MIRROR", "/opt/tf-plugins"))
PROVIDER_DIR = MIRROR / "registry.terraform.io" / "hashicorp" / "aws" / "5.100.0"
# The parameter's value in revision 1 and 2: Terraform marks it sensitive; it must never be shown.
PARAMETER_SECRETS = {1: "pw-first-Zq81vXk3", 2: "pw-second-Rt55mWq9"}


def provider_cli_config(directory: Path) -> Path:
    """A Terraform CLI config installing providers from the mirror only; fails saying how to get it."""
    if not PROVIDER_DIR.is_dir():
        pytest.fail(
            f"the AWS provider mirror {PROVIDER_DIR} is missing: make one with `terraform providers mirror "
            f"<dir>` on a machine with registry access and point CREDEX_TF_PROVIDER_MIRROR at it"
        )
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "terraformrc"
    path.write_text(f'provider_installation {{\n  filesystem_mirror {{ path = "{MIRROR}" }}\n}}\n')
    return path


def write_connectors_root(root: Path, revision: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    second = revision >= 2
    extra_rule = (
        """
  ingress {
    description = "HTTP, redirected to HTTPS"
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }"""
        if second
        else ""
    )
    (root / "main.tf").write_text(
        f"""# Test root (tests/support/aws_provider.py): the connectors interface on real AWS resources.
terraform {{
  backend "local" {{}}
  required_providers {{
    aws = {{ source = "hashicorp/aws", version = "5.100.0" }}
  }}
}}

provider "aws" {{
  region                      = var.region
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}}

variable "environment" {{ type = string }}
variable "region" {{ type = string }}
variable "vpc_cidr" {{ type = string }}
variable "nat_gateway_count" {{ type = number }}
variable "domain" {{ type = string }}
variable "container_port" {{ type = number }}

locals {{
  name = replace(var.environment, "_", "-")
}}

resource "aws_vpc" "main" {{
  cidr_block = var.vpc_cidr
  tags       = {{ Name = "credex-vpc-${{local.name}}" }}
}}

resource "aws_security_group" "alb" {{
  name        = "credex-alb-sg-${{local.name}}"
  description = "{"ALB of credex-core: HTTPS only, HTTP redirected" if second else "ALB of credex-core"}"
  vpc_id      = aws_vpc.main.id

  ingress {{
    description = "HTTPS"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }}{extra_rule}
  tags = {{ Name = "credex-alb-sg-${{local.name}}" }}
}}

resource "aws_ecr_repository" "core" {{
  name                 = "credex-core-${{local.name}}"
  image_tag_mutability = "{"IMMUTABLE" if second else "MUTABLE"}"
}}

resource "aws_ssm_parameter" "api_token" {{
  name  = "/credex/${{local.name}}/api-token"
  type  = "SecureString"
  value = "{PARAMETER_SECRETS[revision]}"
}}

output "vpc_id" {{ value = aws_vpc.main.id }}
output "public_subnet_ids" {{ value = ["subnet-pub-a-${{local.name}}", "subnet-pub-b-${{local.name}}"] }}
output "private_subnet_ids" {{ value = ["subnet-priv-a-${{local.name}}", "subnet-priv-b-${{local.name}}"] }}
output "alb_security_group_id" {{ value = aws_security_group.alb.id }}
output "ecs_tasks_security_group_id" {{ value = "sg-ecs-${{local.name}}" }}
output "neo4j_security_group_id" {{ value = "sg-neo4j-${{local.name}}" }}
output "alb_arn" {{ value = "arn:aws:elasticloadbalancing:${{var.region}}:123456789012:loadbalancer/app/credex-alb-${{local.name}}/50dc6c495c0c9188" }}
output "alb_dns_name" {{ value = "credex-alb-${{local.name}}.${{var.region}}.elb.amazonaws.com" }}
output "target_group_arn" {{ value = "arn:aws:elasticloadbalancing:${{var.region}}:123456789012:targetgroup/credex-tg-${{local.name}}/1" }}
output "https_listener_arn" {{ value = "arn:aws:elasticloadbalancing:${{var.region}}:123456789012:listener/app/credex-alb-${{local.name}}/1/443" }}
output "certificate_arn" {{ value = "arn:aws:acm:${{var.region}}:123456789012:certificate/${{local.name}}" }}
output "ecr_repository_url" {{ value = aws_ecr_repository.core.repository_url }}
"""
    )
    return root
