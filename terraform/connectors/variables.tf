# Passed by credex_orchestration/infrastructure/connectors.py `variables()` (the fixture root
# tests/fixtures/terraform/connectors declares the same ones); the rest have defaults.

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

variable "vpc_cidr" {
  type        = string
  description = "CIDR block of the environment's VPC (IPv4, /16 to /24)."

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 24
    error_message = "vpc_cidr must be an IPv4 CIDR between /16 and /24."
  }
}

variable "nat_gateway_count" {
  type        = number
  description = "NAT gateways: 1 is enough outside production, 2 survives the loss of an AZ."
  default     = 1

  validation {
    condition     = var.nat_gateway_count >= 1 && var.nat_gateway_count <= 2
    error_message = "nat_gateway_count must be 1 or 2."
  }
}

variable "domain" {
  type        = string
  description = "The environment's domain (certificate and DNS alias to the load balancer)."
}

variable "container_port" {
  type        = number
  description = "Port the app container listens on (target group and security groups)."
  default     = 3000
}

variable "hosted_zone_name" {
  type        = string
  description = "Route53 public hosted zone of the domain; empty means the domain's last two labels."
  default     = ""
}

variable "ecr_keep_images" {
  type        = number
  description = "How many images the ECR lifecycle policy keeps (older ones expire)."
  default     = 30

  validation {
    condition     = var.ecr_keep_images >= 1
    error_message = "ecr_keep_images must be at least 1."
  }
}

variable "ecr_keep_verified_images" {
  type        = number
  description = "How many images tagged with ecr_verified_tag_prefix (revisions that passed verification) the lifecycle policy keeps."
  default     = 10

  validation {
    condition     = var.ecr_keep_verified_images >= 1
    error_message = "ecr_keep_verified_images must be at least 1: the last verified image is the rollback target."
  }
}

variable "ecr_verified_tag_prefix" {
  type        = string
  description = "Tag prefix of images whose revision passed verification (credex_orchestration.lib.ecr.VERIFIED_PREFIX)."
  default     = "verified-"
}

variable "tls_policy" {
  type        = string
  description = "TLS policy of the HTTPS listener."
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

variable "alb_deletion_protection" {
  type        = bool
  description = "Deletion protection of the load balancer; turn off (and apply) before tearing an environment down."
  default     = true
}
