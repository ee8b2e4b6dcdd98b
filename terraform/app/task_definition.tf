# The task definition is rendered from task-definition.json (the seeds' template) and owned by Terraform
# alone: nothing else registers revisions. Every secret reaches the container through `secrets`/`valueFrom`
# (ARN:json-key::), never through `environment`. credex_orchestration/infrastructure/task_definition.py
# checks the template's placeholders against `local.task_definition_vars` by name.

locals {
  task_definition_vars = {
    family             = local.names.task_family
    container_name     = local.names.container
    image              = "${var.ecr_repository_url}:${var.image_tag}"
    cpu                = var.cpu
    memory             = var.memory
    execution_role_arn = aws_iam_role.execution.arn
    task_role_arn      = aws_iam_role.task.arn
    node_env           = var.node_env
    container_port     = var.container_port
    log_group          = aws_cloudwatch_log_group.app.name
    region             = var.region
    neo4j_secret_arn   = var.neo4j_secret_arn
    app_secret_arn     = aws_secretsmanager_secret.app.arn
  }

  task_definition = jsondecode(templatefile("${path.module}/task-definition.json", local.task_definition_vars))
}

resource "aws_ecs_task_definition" "app" {
  family                   = local.names.task_family
  network_mode             = local.task_definition.networkMode
  requires_compatibilities = local.task_definition.requiresCompatibilities
  cpu                      = local.task_definition.cpu
  memory                   = local.task_definition.memory
  execution_role_arn       = local.task_definition.executionRoleArn
  task_role_arn            = local.task_definition.taskRoleArn
  container_definitions    = jsonencode(local.task_definition.containerDefinitions)
  # A new image tag replaces the resource; the old revision stays ACTIVE (not deregistered), because the
  # rollback points the service back at it and ECS refuses an INACTIVE revision (decision 0102).
  skip_destroy = true

  runtime_platform {
    operating_system_family = local.task_definition.runtimePlatform.operatingSystemFamily
    cpu_architecture        = local.task_definition.runtimePlatform.cpuArchitecture
  }

  tags = merge(local.common_tags, { Name = local.names.task_family, ImageTag = var.image_tag })
}
