# Cluster, log group and the Fargate service: private subnets, behind the target group, with the deployment
# circuit breaker rolling a failed deployment back to the last steady task definition.

resource "aws_ecs_cluster" "main" {
  name = local.names.ecs_cluster

  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  tags = merge(local.common_tags, { Name = local.names.ecs_cluster })
}

resource "aws_cloudwatch_log_group" "app" {
  name              = local.names.log_group
  retention_in_days = var.log_retention_days

  tags = merge(local.common_tags, { Name = local.names.log_group })
}

resource "aws_ecs_service" "app" {
  name                               = local.names.ecs_service
  cluster                            = aws_ecs_cluster.main.id
  task_definition                    = aws_ecs_task_definition.app.arn
  desired_count                      = var.desired_count
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  health_check_grace_period_seconds  = var.health_check_grace_seconds
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  enable_ecs_managed_tags            = true
  propagate_tags                     = "SERVICE"
  wait_for_steady_state              = false

  # Tasks read both secrets when they start, so a new value reaches them only through new tasks: a new
  # current version of either secret (Terraform's write of new Neo4j addresses, an operator's
  # put-secret-value) redeploys the service. force_new_deployment makes the trigger's update a deployment.
  force_new_deployment = true
  triggers = {
    neo4j_secret_version = var.neo4j_secret_version_id
    app_secret_version   = coalesce(local.app_secret_current_version, aws_secretsmanager_secret_version.app.version_id)
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [var.ecs_tasks_security_group_id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = var.target_group_arn
    container_name   = local.names.container
    container_port   = var.container_port
  }

  tags = merge(local.common_tags, { Name = local.names.ecs_service })
}
