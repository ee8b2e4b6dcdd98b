# Passed by credex_orchestration/infrastructure/databases.py `variables()` (the fixture root
# tests/fixtures/terraform/databases declares the same ones); the rest have defaults.

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

variable "neo4j_edition" {
  type        = string
  description = "community or enterprise; enterprise fetches its licence from Secrets Manager at boot."

  validation {
    condition     = contains(["community", "enterprise"], var.neo4j_edition)
    error_message = "neo4j_edition must be community or enterprise."
  }
}

variable "instance_type" {
  type        = string
  description = "EC2 instance type of both Neo4j instances."
}

variable "volume_size_gb" {
  type        = number
  description = "Size of each instance's gp3 data volume (GiB)."

  validation {
    condition     = var.volume_size_gb >= 10
    error_message = "volume_size_gb must be at least 10."
  }
}

variable "ami_id" {
  type        = string
  description = "Neo4j AMI id, pinned by the caller (never a most-recent lookup); a change would replace the instances, which prevent_destroy refuses."

  validation {
    condition     = can(regex("^ami-[0-9a-f]{8,17}$", var.ami_id))
    error_message = "ami_id must look like ami-0123456789abcdef0."
  }
}

variable "vpc_id" {
  type        = string
  description = "VPC of the environment (connectors output vpc_id)."
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Two private subnets in different AZs (connectors output private_subnet_ids): LedgerSpace in the first, SearchSpace in the second."

  validation {
    condition     = length(var.private_subnet_ids) >= 2
    error_message = "private_subnet_ids needs two subnets (one per AZ)."
  }
}

variable "neo4j_security_group_id" {
  type        = string
  description = "Security group of the Neo4j instances (connectors output neo4j_security_group_id)."
}

variable "root_volume_size_gb" {
  type        = number
  description = "Size of each instance's root volume (GiB); data lives on the separate data volume."
  default     = 20
}

variable "data_volume_iops" {
  type        = number
  description = "Provisioned IOPS of the gp3 data volumes."
  default     = 3000
}

variable "data_volume_throughput" {
  type        = number
  description = "Provisioned throughput of the gp3 data volumes (MiB/s)."
  default     = 125
}
