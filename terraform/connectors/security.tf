# Three security groups with rules as separate resources. Only the ALB faces the internet; the tasks accept
# the app port from the ALB group only; Neo4j (7474 HTTP, 7687 Bolt) accepts the tasks group only, never
# 0.0.0.0/0 or the whole VPC. No SSH anywhere: instances are reached through SSM.

resource "aws_security_group" "alb" {
  name        = local.names.alb_security_group
  description = "credex-core load balancer: HTTP and HTTPS from the internet"
  vpc_id      = aws_vpc.main.id

  tags = merge(local.common_tags, { Name = local.names.alb_security_group })
}

resource "aws_security_group" "ecs_tasks" {
  name        = local.names.ecs_tasks_security_group
  description = "credex-core ECS tasks: app port from the load balancer only"
  vpc_id      = aws_vpc.main.id

  tags = merge(local.common_tags, { Name = local.names.ecs_tasks_security_group })
}

resource "aws_security_group" "neo4j" {
  name        = local.names.neo4j_security_group
  description = "credex-core Neo4j: HTTP and Bolt from the ECS tasks only"
  vpc_id      = aws_vpc.main.id

  tags = merge(local.common_tags, { Name = local.names.neo4j_security_group })
}

# Load balancer
resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTP from the internet (redirected to HTTPS)"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = "0.0.0.0/0"

  tags = local.common_tags
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from the internet"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"

  tags = local.common_tags
}

resource "aws_vpc_security_group_egress_rule" "alb_to_tasks" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To the app port of the ECS tasks"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = aws_security_group.ecs_tasks.id

  tags = local.common_tags
}

# ECS tasks
resource "aws_vpc_security_group_ingress_rule" "tasks_from_alb" {
  security_group_id            = aws_security_group.ecs_tasks.id
  description                  = "App port from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = aws_security_group.alb.id

  tags = local.common_tags
}

resource "aws_vpc_security_group_egress_rule" "tasks_https" {
  security_group_id = aws_security_group.ecs_tasks.id
  description       = "HTTPS out (ECR, Secrets Manager, CloudWatch Logs, exchange-rate API) through NAT"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"

  tags = local.common_tags
}

resource "aws_vpc_security_group_egress_rule" "tasks_to_neo4j_bolt" {
  security_group_id            = aws_security_group.ecs_tasks.id
  description                  = "Bolt to Neo4j"
  ip_protocol                  = "tcp"
  from_port                    = 7687
  to_port                      = 7687
  referenced_security_group_id = aws_security_group.neo4j.id

  tags = local.common_tags
}

# Neo4j
resource "aws_vpc_security_group_ingress_rule" "neo4j_http_from_tasks" {
  security_group_id            = aws_security_group.neo4j.id
  description                  = "Neo4j HTTP from the ECS tasks"
  ip_protocol                  = "tcp"
  from_port                    = 7474
  to_port                      = 7474
  referenced_security_group_id = aws_security_group.ecs_tasks.id

  tags = local.common_tags
}

resource "aws_vpc_security_group_ingress_rule" "neo4j_bolt_from_tasks" {
  security_group_id            = aws_security_group.neo4j.id
  description                  = "Neo4j Bolt from the ECS tasks"
  ip_protocol                  = "tcp"
  from_port                    = 7687
  to_port                      = 7687
  referenced_security_group_id = aws_security_group.ecs_tasks.id

  tags = local.common_tags
}

resource "aws_vpc_security_group_egress_rule" "neo4j_https" {
  security_group_id = aws_security_group.neo4j.id
  description       = "HTTPS out (SSM, Secrets Manager, CloudWatch) through NAT"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"

  tags = local.common_tags
}
