locals {
  common_tags = {
    Project   = "credex-orchestration"
    Component = "bootstrap"
    ManagedBy = "terraform"
  }

  shared_buckets   = { for name, env in var.state_buckets : name => env.bucket if !env.separate_account }
  separate_buckets = { for name, env in var.state_buckets : name => env.bucket if env.separate_account }
}
