# Neo4j credentials: generated once by Terraform and stored only in Secrets Manager, in the seeds' secret
# (neo4j_prod_secrets, neo4j_stage_secrets, neo4j_dev_secrets, else neo4j_<env>_secrets) with exactly the
# six keys the app reads. The values are sensitive in state; the state bucket is encrypted.

resource "random_password" "ledgerspace" {
  length  = 32
  special = false
}

resource "random_password" "searchspace" {
  length  = 32
  special = false
}

resource "aws_secretsmanager_secret" "neo4j" {
  name                    = local.names.neo4j_secret
  description             = "Neo4j LedgerSpace and SearchSpace credentials of ${var.environment}"
  recovery_window_in_days = 30

  tags = merge(local.common_tags, { Name = local.names.neo4j_secret })
}

resource "aws_secretsmanager_secret_version" "neo4j" {
  secret_id = aws_secretsmanager_secret.neo4j.id

  secret_string = jsonencode({
    ledgerspacebolturl = "bolt://${aws_instance.ledgerspace.private_ip}:7687"
    ledgerspaceuser    = "neo4j"
    ledgerspacepass    = random_password.ledgerspace.result
    searchspacebolturl = "bolt://${aws_instance.searchspace.private_ip}:7687"
    searchspaceuser    = "neo4j"
    searchspacepass    = random_password.searchspace.result
  })
}
