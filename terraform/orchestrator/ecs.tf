# The webserver and the daemon run as ECS services, each with a code server beside it in the same task
# (workspace.yaml of the image: grpc on localhost:4000); runs are one Fargate task each, started by the
# daemon's EcsRunLauncher from the run-worker task definition (container `run`, deploy/dagster.yaml).
# Before the first image exists (var.image_tag null) no task definition or service is created.

resource "aws_ecs_cluster" "orchestrator" {
  name = local.names.cluster

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

locals {
  with_image = var.image_tag == null ? 0 : 1

  instance_environment = [
    { name = "DAGSTER_PG_HOST", value = aws_db_instance.orchestrator.address },
    { name = "DAGSTER_PG_PORT", value = tostring(aws_db_instance.orchestrator.port) },
    { name = "DAGSTER_PG_DB", value = local.names.database_name },
    { name = "DAGSTER_PG_USERNAME", value = local.names.database_user },
    { name = "PGSSLMODE", value = "require" },
    { name = "DAGSTER_COMPUTE_LOGS_BUCKET", value = aws_s3_bucket.compute_logs.bucket },
    { name = "DAGSTER_RUN_TASK_DEFINITION", value = local.names.run_worker },
    { name = "AWS_REGION", value = var.region },
    { name = "CREDEX_IMAGE_TAG", value = coalesce(var.image_tag, "none") },
  ]

  # The password reaches the process as an environment variable from Secrets Manager (never this file,
  # never state): RDS's managed secret is JSON {"username", "password"}.
  instance_secrets = [{
    name      = "DAGSTER_PG_PASSWORD"
    valueFrom = "${aws_db_instance.orchestrator.master_user_secret[0].secret_arn}:password::"
  }]

  code_server_container = {
    name        = "code-server"
    image       = local.image
    command     = ["code-server"]
    cpu         = 512
    memory      = 2048
    essential   = true
    environment = local.instance_environment
    secrets     = local.instance_secrets
    healthCheck = {
      command     = ["CMD", "dagster", "api", "grpc-health-check", "-p", "4000"]
      interval    = 15
      timeout     = 10
      retries     = 5
      startPeriod = 60
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = local.log_groups.code_server
        awslogs-region        = var.region
        awslogs-stream-prefix = "code-server"
      }
    }
  }

  process_container = {
    for role, port in { webserver = 3000, daemon = null } : role => {
      name                        = role
      image                       = local.image
      command                     = [role]
      cpu                         = 512
      memory                      = 2048
      essential                   = true
      environment                 = local.instance_environment
      secrets                     = local.instance_secrets
      portMappings                = port == null ? [] : [{ containerPort = port, protocol = "tcp" }]
      dependsOn                   = [{ containerName = "code-server", condition = "HEALTHY" }]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = local.log_groups[role]
          awslogs-region        = var.region
          awslogs-stream-prefix = role
        }
      }
    }
  }
}

resource "aws_ecs_task_definition" "webserver" {
  count                    = local.with_image
  family                   = local.names.webserver
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 1024
  memory                   = 4096
  execution_role_arn       = aws_iam_role.execution.arn
  skip_destroy             = true # a new revision leaves the old one registered: an orchestrator rollback needs it
  task_role_arn            = aws_iam_role.webserver.arn
  container_definitions    = jsonencode([local.code_server_container, local.process_container.webserver])
}

resource "aws_ecs_task_definition" "daemon" {
  count                    = local.with_image
  family                   = local.names.daemon
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 1024
  memory                   = 4096
  execution_role_arn       = aws_iam_role.execution.arn
  skip_destroy             = true # a new revision leaves the old one registered: an orchestrator rollback needs it
  task_role_arn            = aws_iam_role.daemon.arn
  container_definitions    = jsonencode([local.code_server_container, local.process_container.daemon])
}

# One run. Terraform and the AWS provider need the memory; the command is the launcher's
# (`dagster api execute_run ...`), passed through the image's entrypoint.
resource "aws_ecs_task_definition" "run_worker" {
  count                    = local.with_image
  family                   = local.names.run_worker
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 1024
  memory                   = 4096
  execution_role_arn       = aws_iam_role.execution.arn
  skip_destroy             = true # a new revision leaves the old one registered: an orchestrator rollback needs it
  task_role_arn            = aws_iam_role.run_worker.arn

  ephemeral_storage {
    size_in_gib = 30
  }

  container_definitions = jsonencode([{
    name        = "run"
    image       = local.image
    cpu         = 1024
    memory      = 4096
    essential   = true
    environment = local.instance_environment
    secrets     = local.instance_secrets
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = local.log_groups.run
        awslogs-region        = var.region
        awslogs-stream-prefix = "run"
      }
    }
  }])
}

resource "aws_ecs_service" "webserver" {
  count                  = local.with_image
  name                   = local.names.webserver
  cluster                = aws_ecs_cluster.orchestrator.id
  task_definition        = aws_ecs_task_definition.webserver[0].arn
  desired_count          = 1
  launch_type            = "FARGATE"
  enable_execute_command = true
  propagate_tags         = "SERVICE"
  tags                   = { "credex/service" = "webserver" }

  network_configuration {
    subnets          = aws_subnet.private[*].id
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }
}

# Exactly one daemon: a new deployment stops the old task before starting the new one (two daemons
# would both dequeue runs and tick sensors).
resource "aws_ecs_service" "daemon" {
  count                              = local.with_image
  name                               = local.names.daemon
  cluster                            = aws_ecs_cluster.orchestrator.id
  task_definition                    = aws_ecs_task_definition.daemon[0].arn
  desired_count                      = 1
  launch_type                        = "FARGATE"
  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 100
  propagate_tags                     = "SERVICE"
  tags                               = { "credex/service" = "daemon" }

  network_configuration {
    subnets          = aws_subnet.private[*].id
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }
}
