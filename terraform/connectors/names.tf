# Every name of this root, from var.environment. credex_orchestration/naming.py computes the same names;
# tests/test_terraform_names.py evaluates this file with Terraform and compares, so rename there first.
locals {
  slug = replace(var.environment, "_", "-")

  common_tags = {
    Project     = "credex-core"
    Environment = var.environment
    Component   = "connectors"
    ManagedBy   = "terraform"
  }

  names = {
    vpc                      = "credex-vpc-${local.slug}"
    public_subnets           = [for i in range(2) : "credex-public-subnet-${local.slug}-${i + 1}"]
    private_subnets          = [for i in range(2) : "credex-private-subnet-${local.slug}-${i + 1}"]
    internet_gateway         = "credex-igw-${local.slug}"
    nat_gateways             = [for i in range(2) : "credex-nat-${local.slug}-${i + 1}"]
    nat_eips                 = [for i in range(2) : "credex-nat-eip-${local.slug}-${i + 1}"]
    public_route_table       = "credex-public-rt-${local.slug}"
    private_route_tables     = [for i in range(2) : "credex-private-rt-${local.slug}-${i + 1}"]
    alb_security_group       = "credex-alb-sg-${local.slug}"
    ecs_tasks_security_group = "credex-core-ecs-tasks-sg-${local.slug}"
    neo4j_security_group     = "credex-neo4j-sg-${local.slug}"
    alb                      = "credex-alb-${local.slug}"
    target_group             = "credex-tg-${local.slug}"
    https_listener           = "credex-https-${local.slug}"
    http_listener            = "credex-http-${local.slug}"
    certificate              = "credex-cert-${local.slug}"
    ecr_repository           = "credex-core-${local.slug}"
  }
}
