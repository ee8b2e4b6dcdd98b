# The bootstrap root: the S3 buckets every other root keeps its state in. Day 0 applies it first with a
# local backend, then moves its own state into the orchestrator's bucket (deploy/day0.py); from then on
# `init -backend-config` points at that bucket like every other root.
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

# The account the orchestrator runs in (development, staging, the orchestrator's own state).
provider "aws" {
  region = var.region

  default_tags {
    tags = local.common_tags
  }
}

# The account of the environments that live apart (production): reached through an administrator role
# of that account, only at bootstrap and orchestrator applies, never by a run. Without a role it is the
# orchestrator's account (a rehearsal or a single-account installation).
provider "aws" {
  alias  = "separate_account"
  region = var.region

  dynamic "assume_role" {
    for_each = var.separate_account_role_arn == null ? [] : [var.separate_account_role_arn]
    content {
      role_arn     = assume_role.value
      session_name = "credex-bootstrap"
    }
  }

  default_tags {
    tags = local.common_tags
  }
}
