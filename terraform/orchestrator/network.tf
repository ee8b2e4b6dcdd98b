# A VPC of its own: the orchestrator's tasks and database sit in private subnets; one NAT gateway gives them
# AWS APIs, ECR and GitHub (git ls-remote). Nothing accepts connections from outside the VPC.

resource "aws_vpc" "orchestrator" {
  cidr_block           = var.vpc_cidr
  enable_dns_hostnames = true
  enable_dns_support   = true
  tags                 = { Name = local.names.vpc }
}

resource "aws_subnet" "public" {
  count                   = 2
  vpc_id                  = aws_vpc.orchestrator.id
  cidr_block              = cidrsubnet(var.vpc_cidr, 8, count.index)
  availability_zone       = data.aws_availability_zones.available.names[count.index]
  map_public_ip_on_launch = false
  tags                    = { Name = "${local.prefix}-public-${count.index + 1}" }
}

resource "aws_subnet" "private" {
  count             = 2
  vpc_id            = aws_vpc.orchestrator.id
  cidr_block        = cidrsubnet(var.vpc_cidr, 8, count.index + 10)
  availability_zone = data.aws_availability_zones.available.names[count.index]
  tags              = { Name = "${local.prefix}-private-${count.index + 1}" }
}

resource "aws_internet_gateway" "orchestrator" {
  vpc_id = aws_vpc.orchestrator.id
  tags   = { Name = "${local.prefix}-igw" }
}

resource "aws_eip" "nat" {
  domain = "vpc"
  tags   = { Name = "${local.prefix}-nat" }
}

resource "aws_nat_gateway" "orchestrator" {
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.public[0].id
  tags          = { Name = "${local.prefix}-nat" }

  depends_on = [aws_internet_gateway.orchestrator]
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.orchestrator.id
  tags   = { Name = "${local.prefix}-public" }
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.orchestrator.id
}

resource "aws_route_table_association" "public" {
  count          = 2
  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.orchestrator.id
  tags   = { Name = "${local.prefix}-private" }
}

resource "aws_route" "private_nat" {
  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.orchestrator.id
}

resource "aws_route_table_association" "private" {
  count          = 2
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}

# The tasks (webserver, daemon, code servers, run workers) accept no connection at all: the UI is reached
# through an SSM port-forwarding session into the webserver task (decision 0131), not through a listener.
resource "aws_security_group" "tasks" {
  name        = "${local.prefix}-tasks"
  description = "Orchestrator tasks: no ingress, all egress"
  vpc_id      = aws_vpc.orchestrator.id
  tags        = { Name = "${local.prefix}-tasks" }
}

resource "aws_vpc_security_group_egress_rule" "tasks_all" {
  security_group_id = aws_security_group.tasks.id
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_security_group" "database" {
  name        = "${local.prefix}-database"
  description = "Orchestrator PostgreSQL: 5432 from the orchestrator tasks only"
  vpc_id      = aws_vpc.orchestrator.id
  tags        = { Name = "${local.prefix}-database" }
}

resource "aws_vpc_security_group_ingress_rule" "database_from_tasks" {
  security_group_id            = aws_security_group.database.id
  referenced_security_group_id = aws_security_group.tasks.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}
