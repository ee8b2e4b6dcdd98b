# One bucket per environment (in the environment's account) and one for the orchestrator's own roots.
# Nothing here is ever destroyed by Terraform: every bucket has prevent_destroy in the module.

module "orchestrator_state" {
  source = "./modules/state_bucket"
  bucket = var.orchestrator_state_bucket

  deny_non_tls_requests = var.deny_non_tls_requests
}

module "shared_account_state" {
  source   = "./modules/state_bucket"
  for_each = local.shared_buckets
  bucket   = each.value

  deny_non_tls_requests = var.deny_non_tls_requests
}

module "separate_account_state" {
  source   = "./modules/state_bucket"
  for_each = local.separate_buckets
  bucket   = each.value

  deny_non_tls_requests = var.deny_non_tls_requests

  providers = {
    aws = aws.separate_account
  }
}
