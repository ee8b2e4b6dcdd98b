# The orchestrator itself: network, PostgreSQL, compute-log bucket, image repository, ECS services of the
# webserver and the daemon, the run-worker task definition deploy/dagster.yaml's EcsRunLauncher starts, and
# every environment's deploy role. State: the orchestrator's bucket (deploy/day0.py, docs/deployers-guide.md).
terraform {
  required_version = ">= 1.10"

  backend "s3" {}

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = local.common_tags
  }
}

# The account of the environments that live apart (production), through an administrator role of that
# account; only this root's applies use it. Null: the orchestrator's own account.
provider "aws" {
  alias  = "separate_account"
  region = var.region

  dynamic "assume_role" {
    for_each = var.separate_account_role_arn == null ? [] : [var.separate_account_role_arn]
    content {
      role_arn     = assume_role.value
      session_name = "credex-orchestrator"
    }
  }

  default_tags {
    tags = local.common_tags
  }
}
