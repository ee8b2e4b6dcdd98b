# Execution role: pull this environment's image, write its log group, read its two secrets; nothing else.
# Task role: what the running app may call in AWS, which is nothing today (it has no policy).

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  ecs_assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { ArnLike = { "aws:SourceArn" = "arn:${data.aws_partition.current.partition}:ecs:${var.region}:${data.aws_caller_identity.current.account_id}:*" } }
    }]
  })
  ecr_repository_arn = "arn:${data.aws_partition.current.partition}:ecr:${var.region}:${data.aws_caller_identity.current.account_id}:repository/${local.names.ecr_repository}"
}

resource "aws_iam_role" "execution" {
  name               = local.names.execution_role
  description        = "ECS execution role of credex-core ${var.environment}: image, logs, this environment's secrets"
  assume_role_policy = local.ecs_assume_role_policy

  tags = merge(local.common_tags, { Name = local.names.execution_role })
}

resource "aws_iam_role_policy" "execution" {
  name = local.names.execution_policy
  role = aws_iam_role.execution.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "EcrAuth"
        Effect   = "Allow"
        Action   = ["ecr:GetAuthorizationToken"]
        Resource = "*"
      },
      {
        Sid      = "PullImage"
        Effect   = "Allow"
        Action   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
        Resource = local.ecr_repository_arn
      },
      {
        Sid      = "WriteLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.app.arn}:*"
      },
      {
        Sid      = "ReadSecrets"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = [var.neo4j_secret_arn, aws_secretsmanager_secret.app.arn]
      },
    ]
  })
}

resource "aws_iam_role" "task" {
  name               = local.names.task_role
  description        = "Task role of credex-core ${var.environment} (no AWS permissions)"
  assume_role_policy = local.ecs_assume_role_policy

  tags = merge(local.common_tags, { Name = local.names.task_role })
}
