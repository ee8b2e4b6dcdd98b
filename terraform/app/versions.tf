# Backend settings come from ../backends/<env>.hcl (`init -backend-config`); the workspace is
# `app_<env>`, so every environment's state lives in its own bucket and workspace.
terraform {
  required_version = ">= 1.11" # ephemeral resources and write-only arguments

  backend "s3" {}

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0" # exactly what the rehearsal exercises (docs/decisions/0100-aws-provider-5-100.md)
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = local.common_tags
  }
}
