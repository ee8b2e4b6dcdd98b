# Neo4j credentials in the seeds' secret (neo4j_prod_secrets, neo4j_stage_secrets, neo4j_dev_secrets, else
# neo4j_<env>_secrets), exactly the six keys the app reads. No password is ever in Terraform state or plans
# (docs/decisions/0101-neo4j-secret-write-only.md):
# - the value is written through the write-only `secret_string_wo`, which Terraform never stores;
# - a password is generated (ephemeral aws_secretsmanager_random_password, never stored) only while the
#   secret has no current value; once it has one, every write carries the current passwords forward (read
#   through the ephemeral aws_secretsmanager_secret_version, never stored), so none is ever regenerated;
# - Terraform writes a new version only when `secret_string_wo_version` changes, and that number is derived
#   from the bolt addresses: a replaced instance (new private IP) writes a new version with the same
#   passwords and the new address; nothing else ever rewrites the value.

locals {
  neo4j_addresses = {
    ledgerspacebolturl = "bolt://${aws_instance.ledgerspace.private_ip}:7687"
    searchspacebolturl = "bolt://${aws_instance.searchspace.private_ip}:7687"
  }
  # 48 bits of the addresses' digest: changes exactly when an address does (a version number, not a secret).
  neo4j_addresses_version = parseint(substr(sha256(jsonencode(local.neo4j_addresses)), 0, 12), 16)
}

resource "aws_secretsmanager_secret" "neo4j" {
  name                    = local.names.neo4j_secret
  description             = "Neo4j LedgerSpace and SearchSpace credentials of ${var.environment}"
  recovery_window_in_days = 30

  tags = merge(local.common_tags, { Name = local.names.neo4j_secret })
}

# Whether the secret already holds a value, known when planning (by name: the secret may be new to this
# state, e.g. adopted from the old system, and its passwords then already set on the databases).
data "aws_secretsmanager_secrets" "neo4j_existing" {
  filter {
    name   = "name"
    values = [local.names.neo4j_secret]
  }
}

data "aws_secretsmanager_secret_versions" "neo4j_existing" {
  count     = contains(data.aws_secretsmanager_secrets.neo4j_existing.names, local.names.neo4j_secret) ? 1 : 0
  secret_id = local.names.neo4j_secret
}

locals {
  neo4j_secret_has_value = anytrue([
    for version in try(data.aws_secretsmanager_secret_versions.neo4j_existing[0].versions, []) :
    contains(version.version_stages, "AWSCURRENT")
  ])
}

ephemeral "aws_secretsmanager_secret_version" "neo4j_current" {
  count     = local.neo4j_secret_has_value ? 1 : 0
  secret_id = aws_secretsmanager_secret.neo4j.arn
}

ephemeral "aws_secretsmanager_random_password" "neo4j" {
  for_each = local.neo4j_secret_has_value ? toset([]) : toset(["ledgerspace", "searchspace"])

  password_length     = 32
  exclude_punctuation = true
}

locals {
  # The passwords to write: the secret's own once it has a value, else freshly generated. A current value
  # without a password key fails the plan (jsondecode/lookup errors) rather than generating a new one.
  neo4j_passwords = local.neo4j_secret_has_value ? {
    for space in ["ledgerspace", "searchspace"] :
    space => jsondecode(one(ephemeral.aws_secretsmanager_secret_version.neo4j_current[*].secret_string))["${space}pass"]
    } : {
    for space, generated in ephemeral.aws_secretsmanager_random_password.neo4j : space => generated.random_password
  }
}

resource "aws_secretsmanager_secret_version" "neo4j" {
  secret_id = aws_secretsmanager_secret.neo4j.id

  secret_string_wo = jsonencode({
    ledgerspacebolturl = local.neo4j_addresses.ledgerspacebolturl
    ledgerspaceuser    = "neo4j"
    ledgerspacepass    = local.neo4j_passwords["ledgerspace"]
    searchspacebolturl = local.neo4j_addresses.searchspacebolturl
    searchspaceuser    = "neo4j"
    searchspacepass    = local.neo4j_passwords["searchspace"]
  })
  secret_string_wo_version = local.neo4j_addresses_version
}

# The secret's current version after this apply (a new one when Terraform wrote one, or an operator's
# put-secret-value): the app redeploys when it changes (output neo4j_secret_version_id).
data "aws_secretsmanager_secret_versions" "neo4j_written" {
  secret_id = aws_secretsmanager_secret_version.neo4j.secret_id

  depends_on = [aws_secretsmanager_secret_version.neo4j]
}
