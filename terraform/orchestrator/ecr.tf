# The code location's image (code server, webserver, daemon, run workers): tags are commit SHAs, immutable.

resource "aws_ecr_repository" "orchestrator" {
  name                 = local.names.image_repository
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "AES256"
  }
}

resource "aws_ecr_lifecycle_policy" "orchestrator" {
  repository = aws_ecr_repository.orchestrator.name

  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the last 30 images (a rollback of the orchestrator needs its predecessors)"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = 30
      }
      action = { type = "expire" }
    }]
  })
}

resource "aws_cloudwatch_log_group" "orchestrator" {
  for_each          = local.log_groups
  name              = each.value
  retention_in_days = 90
}
