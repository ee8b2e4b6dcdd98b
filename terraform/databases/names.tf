# Every name of this root, from var.environment. credex_orchestration/naming.py computes the same names;
# tests/test_terraform_names.py evaluates this file with Terraform and compares, so rename there first.
locals {
  slug = replace(var.environment, "_", "-")
  # The seeds' secret names use the branch-style short names.
  secret_short_name = lookup({ production = "prod", staging = "stage", development = "dev" }, var.environment, var.environment)

  common_tags = {
    Project     = "credex-core"
    Environment = var.environment
    Component   = "databases"
    ManagedBy   = "terraform"
  }

  names = {
    ledgerspace_instance    = "Neo4j-LedgerSpace-${local.slug}"
    searchspace_instance    = "Neo4j-SearchSpace-${local.slug}"
    ledgerspace_data_volume = "Neo4j-LedgerSpace-data-${local.slug}"
    searchspace_data_volume = "Neo4j-SearchSpace-data-${local.slug}"
    neo4j_secret            = "neo4j_${local.secret_short_name}_secrets"
    neo4j_licence_secret    = "credex-neo4j-licence-${local.slug}"
    neo4j_role              = "credex-neo4j-role-${local.slug}"
    neo4j_instance_profile  = "credex-neo4j-profile-${local.slug}"
    neo4j_secrets_policy    = "credex-neo4j-secrets-${local.slug}"
  }
}
