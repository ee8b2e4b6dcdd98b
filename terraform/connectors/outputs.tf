# Read by databases and app (credex_orchestration/infrastructure/connectors.py OUTPUTS).

output "vpc_id" {
  description = "ID of the environment's VPC."
  value       = aws_vpc.main.id
}

output "public_subnet_ids" {
  description = "Public subnets (load balancer, NAT), one per AZ."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private subnets (ECS tasks, Neo4j), one per AZ."
  value       = aws_subnet.private[*].id
}

output "alb_security_group_id" {
  description = "Security group of the load balancer."
  value       = aws_security_group.alb.id
}

output "ecs_tasks_security_group_id" {
  description = "Security group of the ECS tasks."
  value       = aws_security_group.ecs_tasks.id
}

output "neo4j_security_group_id" {
  description = "Security group of the Neo4j instances."
  value       = aws_security_group.neo4j.id
}

output "alb_arn" {
  description = "ARN of the load balancer."
  value       = aws_lb.main.arn
}

output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = aws_lb.main.dns_name
}

output "target_group_arn" {
  description = "Target group the ECS service registers its tasks in."
  value       = aws_lb_target_group.app.arn
}

output "https_listener_arn" {
  description = "ARN of the HTTPS listener."
  value       = aws_lb_listener.https.arn
}

output "certificate_arn" {
  description = "ARN of the validated ACM certificate."
  value       = aws_acm_certificate_validation.main.certificate_arn
}

output "ecr_repository_url" {
  description = "URL of the ECR repository (image = <url>:<git sha>)."
  value       = aws_ecr_repository.app.repository_url
}

output "ecr_repository_arn" {
  description = "ARN of the ECR repository (the execution role may pull from it only)."
  value       = aws_ecr_repository.app.arn
}
