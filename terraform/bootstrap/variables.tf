variable "region" {
  description = "Region of every bucket (the environments' region)."
  type        = string
  default     = "af-south-1"
}

variable "orchestrator_state_bucket" {
  description = "Bucket of the bootstrap's and the orchestrator root's own state, in the orchestrator's account."
  type        = string
}

variable "state_buckets" {
  description = "Each environment's state bucket, and whether the environment lives in the separate account."
  type = map(object({
    bucket           = string
    separate_account = bool
  }))

  validation {
    condition     = alltrue([for name, env in var.state_buckets : can(regex("^credex-terraform-state-[a-z0-9-]+$", env.bucket))])
    error_message = "Every state bucket is named credex-terraform-state-<environment> (environments.yaml state.bucket)."
  }
}

variable "separate_account_role_arn" {
  description = "Administrator role in the separate account (null: that account is the orchestrator's)."
  type        = string
  default     = null
}

variable "deny_non_tls_requests" {
  description = "Bucket policies deny every request not made over TLS. Only a rehearsal on moto turns it off: moto applies the deny to every request, since it never knows the transport (decision 0133)."
  type        = bool
  default     = true
}
