output "cluster" {
  value = aws_ecs_cluster.orchestrator.name
}

output "image_repository_url" {
  value = aws_ecr_repository.orchestrator.repository_url
}

output "run_worker_task_definition" {
  value = one(aws_ecs_task_definition.run_worker[*].family)
}

output "run_worker_role_arn" {
  value = aws_iam_role.run_worker.arn
}

output "database_address" {
  value = aws_db_instance.orchestrator.address
}

output "database_secret_arn" {
  description = "RDS-managed secret holding the database password (never in this state)."
  value       = aws_db_instance.orchestrator.master_user_secret[0].secret_arn
}

output "compute_logs_bucket" {
  value = aws_s3_bucket.compute_logs.bucket
}

output "deploy_role_arns" {
  description = "Environment -> deploy role: put each into environments.yaml as aws.role_arn."
  value = merge(
    module.shared_account_access.deploy_role_arns,
    module.separate_account_access.deploy_role_arns,
  )
}

output "core_image_push_role_arns" {
  description = "Environment -> role of credex-core's image workflow (GitHub variable AWS_ECR_PUSH_ROLE_ARN)."
  value = merge(
    module.shared_account_access.image_push_role_arns,
    module.separate_account_access.image_push_role_arns,
  )
}

output "orchestration_image_push_role_arn" {
  description = "Role of this repository's image workflow (GitHub variable AWS_IMAGE_PUSH_ROLE_ARN)."
  value       = aws_iam_role.orchestration_image_push.arn
}

output "ui_access_policy_arn" {
  value = aws_iam_policy.ui_access.arn
}

output "subnets" {
  value = aws_subnet.private[*].id
}

output "tasks_security_group" {
  value = aws_security_group.tasks.id
}
