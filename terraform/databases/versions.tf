# Backend settings come from ../backends/<env>.hcl (`init -backend-config`); the workspace is
# `databases_<env>`, so every environment's state lives in its own bucket and workspace.
terraform {
  required_version = ">= 1.10"

  backend "s3" {}

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.8" # aws_instance.force_destroy (hashicorp/terraform-provider-aws#43722)
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = local.common_tags
  }
}
