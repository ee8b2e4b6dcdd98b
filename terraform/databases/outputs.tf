# Read by app and the verification checks (credex_orchestration/infrastructure/databases.py OUTPUTS).

output "ledgerspace_instance_id" {
  description = "EC2 instance id of Neo4j LedgerSpace."
  value       = aws_instance.ledgerspace.id
}

output "searchspace_instance_id" {
  description = "EC2 instance id of Neo4j SearchSpace."
  value       = aws_instance.searchspace.id
}

output "ledgerspace_private_ip" {
  description = "Private IP of Neo4j LedgerSpace."
  value       = aws_instance.ledgerspace.private_ip
}

output "searchspace_private_ip" {
  description = "Private IP of Neo4j SearchSpace."
  value       = aws_instance.searchspace.private_ip
}

output "neo4j_secret_arn" {
  description = "ARN of the Neo4j credentials secret (six keys); the app reads it through valueFrom."
  value       = aws_secretsmanager_secret.neo4j.arn
}

output "neo4j_secret_version_id" {
  description = "Current version of the Neo4j secret; the app redeploys when it changes (new addresses or passwords)."
  value = one([
    for version in data.aws_secretsmanager_secret_versions.neo4j_written.versions :
    version.version_id if contains(version.version_stages, "AWSCURRENT")
  ])
}

output "neo4j_ami_id" {
  description = "AMI the instances run."
  value       = var.ami_id
}

output "ledgerspace_data_volume_id" {
  description = "EBS data volume of LedgerSpace (snapshot before any replacement)."
  value       = aws_ebs_volume.ledgerspace_data.id
}

output "searchspace_data_volume_id" {
  description = "EBS data volume of SearchSpace (snapshot before any replacement)."
  value       = aws_ebs_volume.searchspace_data.id
}

output "instance_role_name" {
  description = "IAM role of the Neo4j instances."
  value       = aws_iam_role.neo4j.name
}
