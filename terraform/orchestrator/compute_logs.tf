# Step output (already redacted by the steps) for the UI after a run worker is gone.

resource "aws_s3_bucket" "compute_logs" {
  bucket = local.names.compute_logs_bucket
}

resource "aws_s3_bucket_server_side_encryption_configuration" "compute_logs" {
  bucket = aws_s3_bucket.compute_logs.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "compute_logs" {
  bucket                  = aws_s3_bucket.compute_logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "compute_logs" {
  bucket = aws_s3_bucket.compute_logs.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_policy" "compute_logs_tls_only" {
  count  = var.deny_non_tls_requests ? 1 : 0
  bucket = aws_s3_bucket.compute_logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "TlsOnly"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.compute_logs.arn, "${aws_s3_bucket.compute_logs.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })

  depends_on = [aws_s3_bucket_public_access_block.compute_logs]
}

resource "aws_s3_bucket_lifecycle_configuration" "compute_logs" {
  bucket = aws_s3_bucket.compute_logs.id

  rule {
    id     = "expire-compute-logs"
    status = "Enabled"

    filter {}

    expiration {
      days = var.compute_log_days
    }
  }
}
