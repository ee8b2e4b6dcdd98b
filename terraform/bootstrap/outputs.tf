output "orchestrator_state_bucket" {
  value = module.orchestrator_state.bucket
}

output "state_buckets" {
  description = "Environment name -> state bucket ARN."
  value = merge(
    { for name, bucket in module.shared_account_state : name => bucket.arn },
    { for name, bucket in module.separate_account_state : name => bucket.arn },
  )
}
