# Image repository: tags are git SHAs, so they are immutable; scanned on push; old images expire.

resource "aws_ecr_repository" "app" {
  name                 = local.names.ecr_repository
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "AES256"
  }

  tags = merge(local.common_tags, { Name = local.names.ecr_repository })
}

# Expiry never reaches the image a rollback needs: the verification step tags the image of a revision that
# passed every blocking check `verified-<git sha>` (credex_orchestration/lib/ecr.py). ECR evaluates rules in
# priority order and an image matched by a rule's tag selection is never expired by a lower-priority rule,
# so verified images leave only through rule 1 (beyond the newest `ecr_keep_verified_images` of them), never
# through the "keep the last N" rule 3 (docs/decisions/0104-ecr-verified-images.md).
resource "aws_ecr_lifecycle_policy" "app" {
  repository = aws_ecr_repository.app.name

  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Keep the newest ${var.ecr_keep_verified_images} verified images (rollback targets)"
        selection = {
          tagStatus     = "tagged"
          tagPrefixList = [var.ecr_verified_tag_prefix]
          countType     = "imageCountMoreThan"
          countNumber   = var.ecr_keep_verified_images
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Expire untagged images after 7 days"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = 7
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 3
        description  = "Keep the last ${var.ecr_keep_images} images"
        selection = {
          tagStatus   = "any"
          countType   = "imageCountMoreThan"
          countNumber = var.ecr_keep_images
        }
        action = { type = "expire" }
      },
    ]
  })
}
