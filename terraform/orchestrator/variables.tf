variable "region" {
  type    = string
  default = "af-south-1"
}

variable "image_tag" {
  description = "Commit SHA of this repository whose image is in the orchestrator's ECR repository; null before the first push (the services then run no task)."
  type        = string
  default     = null

  validation {
    condition     = var.image_tag == null || can(regex("^[0-9a-f]{40}$", var.image_tag))
    error_message = "image_tag is the full 40-character commit SHA the image workflow tagged the image with."
  }
}

variable "environments" {
  description = "Each environment of environments.yaml: whether it lives in the separate account, and its branch (the credex-core image role trusts that GitHub environment)."
  type = map(object({
    separate_account = bool
  }))
}

variable "separate_account_role_arn" {
  description = "Administrator role in the separate account (null: that account is the orchestrator's)."
  type        = string
  default     = null
}

variable "github_owner" {
  description = "GitHub organisation of credex-core and credex-orchestration."
  type        = string
}

variable "core_repository" {
  type    = string
  default = "credex-core"
}

variable "orchestration_repository" {
  type    = string
  default = "credex-orchestration"
}

variable "vpc_cidr" {
  type    = string
  default = "10.20.0.0/16"
}

variable "database_instance_class" {
  type    = string
  default = "db.t4g.small"
}

variable "database_backup_days" {
  type    = number
  default = 14
}

variable "compute_log_days" {
  description = "Days a step's output stays in the compute-log bucket."
  type        = number
  default     = 90
}

variable "deploy_policy_file" {
  description = "The generated least-privilege policy (python -m credex_orchestration.operations.iam_policy --write)."
  type        = string
  default     = "../../docs/deploy/credex-permissions.json"
}

variable "deny_non_tls_requests" {
  description = "Bucket policies deny every request not made over TLS. Only a rehearsal on moto turns it off: moto applies the deny to every request, since it never knows the transport (decision 0133)."
  type        = bool
  default     = true
}
