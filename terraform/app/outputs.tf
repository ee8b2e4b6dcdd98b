# Read by verification and rollback (credex_orchestration/infrastructure/app.py OUTPUTS).

output "cluster_name" {
  description = "ECS cluster of the environment."
  value       = aws_ecs_cluster.main.name
}

output "service_name" {
  description = "ECS service running credex-core."
  value       = aws_ecs_service.app.name
}

output "task_definition_arn" {
  description = "Task definition revision the service runs."
  value       = aws_ecs_task_definition.app.arn
}

output "task_definition_family" {
  description = "Task definition family."
  value       = aws_ecs_task_definition.app.family
}

output "log_group_name" {
  description = "CloudWatch Logs group of the containers (stream prefix ecs)."
  value       = aws_cloudwatch_log_group.app.name
}

output "image_tag" {
  description = "Image tag (git SHA) of the task definition."
  value       = var.image_tag
}

output "app_secret_arn" {
  description = "Secret holding JWT_SECRET, OPEN_EXCHANGE_RATES_API, CLIENT_API_KEY and WHATSAPP_BOT_API_KEY."
  value       = aws_secretsmanager_secret.app.arn
}

output "execution_role_arn" {
  description = "ECS execution role."
  value       = aws_iam_role.execution.arn
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm of the environment notifies (alarm and OK)."
  value       = aws_sns_topic.alarms.arn
}
