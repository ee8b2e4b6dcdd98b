# Instance role: SSM access (no SSH, no key pair) and read access to this environment's Neo4j secret and
# Enterprise licence secret only. User data fetches both at boot; neither is ever in user data itself.

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

resource "aws_iam_role" "neo4j" {
  name        = local.names.neo4j_role
  description = "Neo4j instances of ${var.environment}: SSM and this environment's Neo4j secrets"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })

  tags = merge(local.common_tags, { Name = local.names.neo4j_role })
}

resource "aws_iam_role_policy_attachment" "neo4j_ssm" {
  role       = aws_iam_role.neo4j.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_role_policy" "neo4j_secrets" {
  name = local.names.neo4j_secrets_policy
  role = aws_iam_role.neo4j.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect = "Allow"
      Action = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
      Resource = [
        aws_secretsmanager_secret.neo4j.arn,
        "arn:${data.aws_partition.current.partition}:secretsmanager:${var.region}:${data.aws_caller_identity.current.account_id}:secret:${local.names.neo4j_licence_secret}-*",
      ]
    }]
  })
}

resource "aws_iam_instance_profile" "neo4j" {
  name = local.names.neo4j_instance_profile
  role = aws_iam_role.neo4j.name

  tags = merge(local.common_tags, { Name = local.names.neo4j_instance_profile })
}
