# Passed by credex_orchestration/infrastructure/app.py `variables()` (the fixture root
# tests/fixtures/terraform/app declares the same ones); the rest have defaults.

variable "environment" {
  type        = string
  description = "Environment name from environments.yaml (development, staging, production, ...)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,19}$", var.environment))
    error_message = "environment must be lower case letters, digits and '_' (at most 20 characters)."
  }
}

variable "region" {
  type        = string
  description = "AWS region of every resource of the environment."
}

variable "node_env" {
  type        = string
  description = "NODE_ENV of the container (production does not mount the dev-admin routes)."
}

variable "cpu" {
  type        = number
  description = "Fargate task CPU units (256, 512, 1024, 2048, 4096)."
}

variable "memory" {
  type        = number
  description = "Fargate task memory (MiB), valid for the CPU size."
}

variable "desired_count" {
  type        = number
  description = "Desired number of running tasks."

  validation {
    condition     = var.desired_count >= 0
    error_message = "desired_count must not be negative."
  }
}

variable "container_port" {
  type        = number
  description = "Port the app container listens on."
}

variable "health_check_grace_seconds" {
  type        = number
  description = "Seconds the service ignores load balancer health checks after a task starts."
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the log group (days; a value CloudWatch Logs accepts)."
}

variable "image_tag" {
  type        = string
  description = "Image tag to run: the credex-core git SHA whose image is in ECR."

  validation {
    condition     = can(regex("^[0-9a-f]{7,40}$", var.image_tag))
    error_message = "image_tag must be a git SHA (7-40 lower-case hex digits)."
  }
}

variable "ecr_repository_url" {
  type        = string
  description = "ECR repository URL (connectors output ecr_repository_url)."
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Private subnets of the tasks (connectors output private_subnet_ids)."
}

variable "ecs_tasks_security_group_id" {
  type        = string
  description = "Security group of the tasks (connectors output ecs_tasks_security_group_id)."
}

variable "target_group_arn" {
  type        = string
  description = "Target group the service registers its tasks in (connectors output target_group_arn)."
}

variable "neo4j_secret_arn" {
  type        = string
  description = "Neo4j credentials secret (databases output neo4j_secret_arn), read through valueFrom."
}

variable "neo4j_secret_version_id" {
  type        = string
  description = "Current version of the Neo4j secret (databases output neo4j_secret_version_id); a new one redeploys the service."
}

variable "alarm_subscriptions" {
  type        = list(string)
  description = "Endpoints the alarm topic notifies: mailto:<address> (email) or https://<url>; empty: the topic has no subscriber."
  default     = []

  validation {
    condition     = alltrue([for endpoint in var.alarm_subscriptions : can(regex("^(mailto:[^@\\s]+@[^@\\s]+|https://\\S+)$", endpoint))])
    error_message = "alarm_subscriptions entries must be mailto:<address> or https://<url>."
  }
}

variable "cpu_alarm_threshold" {
  type        = number
  description = "Average service CPU utilisation (%) above which the CPU alarm fires."
  default     = 80
}

variable "memory_alarm_threshold" {
  type        = number
  description = "Average service memory utilisation (%) above which the memory alarm fires."
  default     = 80
}

variable "alarm_evaluation_periods" {
  type        = number
  description = "Consecutive 5-minute periods over the threshold before an alarm fires."
  default     = 3
}

variable "alarm_actions" {
  type        = list(string)
  description = "Further SNS topic ARNs notified when an alarm fires or recovers (the environment's own topic always is)."
  default     = []
}
