# Seed §7.2: CPU and memory utilisation of the service, and the number of running tasks. Every alarm notifies
# the environment's topic when it fires and when it recovers; who hears it is `alarm_subscriptions`
# (decision 0105).

locals {
  alarm_actions = concat([aws_sns_topic.alarms.arn], var.alarm_actions)
}

resource "aws_sns_topic" "alarms" {
  name = local.names.alarm_topic

  tags = merge(local.common_tags, { Name = local.names.alarm_topic })
}

resource "aws_sns_topic_subscription" "alarms" {
  for_each = toset(var.alarm_subscriptions)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = startswith(each.value, "mailto:") ? "email" : "https"
  endpoint  = startswith(each.value, "mailto:") ? trimprefix(each.value, "mailto:") : each.value
}

resource "aws_cloudwatch_metric_alarm" "cpu_high" {
  alarm_name          = local.names.cpu_alarm
  alarm_description   = "credex-core ${var.environment}: average CPU above ${var.cpu_alarm_threshold} %"
  namespace           = "AWS/ECS"
  metric_name         = "CPUUtilization"
  statistic           = "Average"
  period              = 300
  evaluation_periods  = var.alarm_evaluation_periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.cpu_alarm_threshold
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dimensions = {
    ClusterName = aws_ecs_cluster.main.name
    ServiceName = aws_ecs_service.app.name
  }

  tags = merge(local.common_tags, { Name = local.names.cpu_alarm })
}

resource "aws_cloudwatch_metric_alarm" "memory_high" {
  alarm_name          = local.names.memory_alarm
  alarm_description   = "credex-core ${var.environment}: average memory above ${var.memory_alarm_threshold} %"
  namespace           = "AWS/ECS"
  metric_name         = "MemoryUtilization"
  statistic           = "Average"
  period              = 300
  evaluation_periods  = var.alarm_evaluation_periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.memory_alarm_threshold
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dimensions = {
    ClusterName = aws_ecs_cluster.main.name
    ServiceName = aws_ecs_service.app.name
  }

  tags = merge(local.common_tags, { Name = local.names.memory_alarm })
}

resource "aws_cloudwatch_metric_alarm" "running_tasks_low" {
  alarm_name          = local.names.running_tasks_alarm
  alarm_description   = "credex-core ${var.environment}: fewer running tasks than the desired ${var.desired_count}"
  namespace           = "ECS/ContainerInsights"
  metric_name         = "RunningTaskCount"
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = var.alarm_evaluation_periods
  comparison_operator = "LessThanThreshold"
  threshold           = var.desired_count
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dimensions = {
    ClusterName = aws_ecs_cluster.main.name
    ServiceName = aws_ecs_service.app.name
  }

  tags = merge(local.common_tags, { Name = local.names.running_tasks_alarm })
}
