# Every environment's deploy role and credex-core image role, in the environment's own account.

locals {
  # Component -> policy document as JSON (documents differ in shape, so they travel as strings).
  deploy_policies = { for component, entry in jsondecode(file(var.deploy_policy_file)).components : component => jsonencode(entry.policy) }
}

module "shared_account_access" {
  source              = "./modules/environment_access"
  environments        = toset(keys(local.shared_environments))
  run_worker_role_arn = aws_iam_role.run_worker.arn
  components          = local.deploy_policies
  region              = var.region
  github_owner        = var.github_owner
  core_repository     = var.core_repository
}

module "separate_account_access" {
  source              = "./modules/environment_access"
  environments        = toset(keys(local.separate_environments))
  run_worker_role_arn = aws_iam_role.run_worker.arn
  components          = local.deploy_policies
  region              = var.region
  github_owner        = var.github_owner
  core_repository     = var.core_repository

  providers = {
    aws = aws.separate_account
  }
}

# This repository's image workflow: push to the orchestrator's repository, from main only.
resource "aws_iam_role" "orchestration_image_push" {
  name        = local.names.orchestration_pusher
  description = "credex-orchestration's image workflow: ECR push to ${local.names.image_repository} only"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = module.shared_account_access.github_oidc_provider_arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
          "token.actions.githubusercontent.com:sub" = "repo:${var.github_owner}/${var.orchestration_repository}:ref:refs/heads/main"
        }
      }
    }]
  })

  lifecycle {
    precondition {
      condition     = length(local.shared_environments) > 0
      error_message = "The GitHub OIDC provider lives with the environments of the orchestrator's account: at least one environment must share that account."
    }
  }
}

resource "aws_iam_role_policy" "orchestration_image_push" {
  name = "ecr-push"
  role = aws_iam_role.orchestration_image_push.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = "ecr:GetAuthorizationToken", Resource = "*" },
      {
        Effect = "Allow"
        Action = [
          "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
          "ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage", "ecr:DescribeImages",
        ]
        Resource = aws_ecr_repository.orchestrator.arn
      },
    ]
  })
}
