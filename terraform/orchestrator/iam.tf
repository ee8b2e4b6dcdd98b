# Roles of the orchestrator's tasks. Only the run workers act on environments, and only by assuming an
# environment's deploy role (modules/environment_access); the webserver and the daemon cannot.

data "aws_iam_policy_document" "ecs_tasks_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

# ECS itself: pull the image, write the log groups, read the database password into the tasks.
resource "aws_iam_role" "execution" {
  name               = local.names.execution_role
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
}

resource "aws_iam_role_policy" "execution" {
  name = "pull-log-secret"
  role = aws_iam_role.execution.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = "ecr:GetAuthorizationToken", Resource = "*" },
      {
        Effect   = "Allow"
        Action   = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
        Resource = aws_ecr_repository.orchestrator.arn
      },
      {
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = [for group in aws_cloudwatch_log_group.orchestrator : "${group.arn}:*"]
      },
      {
        Effect   = "Allow"
        Action   = "secretsmanager:GetSecretValue"
        Resource = aws_db_instance.orchestrator.master_user_secret[0].secret_arn
      },
    ]
  })
}

locals {
  compute_logs_read = {
    Effect   = "Allow"
    Action   = ["s3:GetObject", "s3:ListBucket"]
    Resource = [aws_s3_bucket.compute_logs.arn, "${aws_s3_bucket.compute_logs.arn}/*"]
  }
  compute_logs_write = {
    Effect   = "Allow"
    Action   = ["s3:PutObject", "s3:GetObject", "s3:ListBucket"]
    Resource = [aws_s3_bucket.compute_logs.arn, "${aws_s3_bucket.compute_logs.arn}/*"]
  }
  # ECS Exec: the SSM agent in the webserver task opens the port-forwarding channel (decision 0131).
  ecs_exec_channel = {
    Effect = "Allow"
    Action = [
      "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
      "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
    ]
    Resource = "*"
  }
}

resource "aws_iam_role" "webserver" {
  name               = local.names.webserver_role
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
}

resource "aws_iam_role_policy" "webserver" {
  name   = "webserver"
  role   = aws_iam_role.webserver.id
  policy = jsonencode({ Version = "2012-10-17", Statement = [local.compute_logs_read, local.ecs_exec_channel] })
}

# The daemon starts, watches and stops run-worker tasks (EcsRunLauncher, run monitoring).
resource "aws_iam_role" "daemon" {
  name               = local.names.daemon_role
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
}

resource "aws_iam_role_policy" "daemon" {
  name = "launch-run-workers"
  role = aws_iam_role.daemon.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      local.compute_logs_read,
      {
        Effect   = "Allow"
        Action   = ["ecs:RunTask"]
        Resource = "arn:aws:ecs:${var.region}:${data.aws_caller_identity.current.account_id}:task-definition/${local.names.run_worker}:*"
      },
      {
        Effect    = "Allow"
        Action    = ["ecs:StopTask", "ecs:DescribeTasks", "ecs:TagResource", "ecs:ListTagsForResource"]
        Resource  = "*"
        Condition = { ArnEquals = { "ecs:cluster" = aws_ecs_cluster.orchestrator.arn } }
      },
      {
        Effect = "Allow"
        Action = [
          "ecs:DescribeTaskDefinition", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
          "ec2:DescribeSecurityGroups", "ec2:DescribeRouteTables",
        ]
        Resource = "*"
      },
      {
        Effect    = "Allow"
        Action    = "iam:PassRole"
        Resource  = [aws_iam_role.run_worker.arn, aws_iam_role.execution.arn]
        Condition = { StringEquals = { "iam:PassedToService" = "ecs-tasks.amazonaws.com" } }
      },
    ]
  })
}

# The run workers: write step output, and become an environment's deployer by assuming its role.
resource "aws_iam_role" "run_worker" {
  name               = local.names.run_worker_role
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
}

resource "aws_iam_role_policy" "run_worker" {
  name = "deploy"
  role = aws_iam_role.run_worker.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      local.compute_logs_write,
      {
        Effect = "Allow"
        Action = "sts:AssumeRole"
        Resource = concat(
          values(module.shared_account_access.deploy_role_arns),
          values(module.separate_account_access.deploy_role_arns),
        )
      },
    ]
  })
}

# Deployers: who may open the UI (SSM port forwarding into the webserver task through ECS Exec). Attach
# this policy to the team's SSO permission set or group; nobody else reaches the UI.
resource "aws_iam_policy" "ui_access" {
  name        = local.names.deployer_access
  description = "Open the orchestrator UI through an SSM port-forwarding session into the webserver task"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Action    = ["ecs:ListTasks", "ecs:DescribeTasks"]
        Resource  = "*"
        Condition = { ArnEquals = { "ecs:cluster" = aws_ecs_cluster.orchestrator.arn } }
      },
      {
        Effect   = "Allow"
        Action   = "ssm:StartSession"
        Resource = ["arn:aws:ssm:${var.region}::document/AWS-StartPortForwardingSession"]
      },
      {
        Effect    = "Allow"
        Action    = "ssm:StartSession"
        Resource  = "arn:aws:ecs:${var.region}:${data.aws_caller_identity.current.account_id}:task/${local.names.cluster}/*"
        Condition = { StringEquals = { "aws:ResourceTag/credex/service" = "webserver" } }
      },
      {
        Effect   = "Allow"
        Action   = "ssm:TerminateSession"
        Resource = "arn:aws:ssm:*:*:session/$${aws:userid}-*"
      },
    ]
  })
}
