# Certificate for the environment's domain, validated through DNS, and the domain's alias to the ALB.

locals {
  domain_labels = split(".", var.domain)
  zone_name     = var.hosted_zone_name != "" ? var.hosted_zone_name : join(".", slice(local.domain_labels, length(local.domain_labels) - 2, length(local.domain_labels)))
}

data "aws_route53_zone" "main" {
  name         = local.zone_name
  private_zone = false
}

resource "aws_acm_certificate" "main" {
  domain_name       = var.domain
  validation_method = "DNS"

  tags = merge(local.common_tags, { Name = local.names.certificate })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "validation" {
  for_each = {
    for option in aws_acm_certificate.main.domain_validation_options : option.domain_name => {
      name   = option.resource_record_name
      type   = option.resource_record_type
      record = option.resource_record_value
    }
  }

  zone_id         = data.aws_route53_zone.main.zone_id
  name            = each.value.name
  type            = each.value.type
  records         = [each.value.record]
  ttl             = 60
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "main" {
  certificate_arn         = aws_acm_certificate.main.arn
  validation_record_fqdns = [for record in aws_route53_record.validation : record.fqdn]
}

# The old system left an A record for the domain in the zone: CREATE would fail on it ("already exists"), so
# the alias is written with UPSERT and takes the name over (a CNAME of the same name still fails: delete it).
resource "aws_route53_record" "app" {
  zone_id         = data.aws_route53_zone.main.zone_id
  name            = var.domain
  type            = "A"
  allow_overwrite = true

  alias {
    name                   = aws_lb.main.dns_name
    zone_id                = aws_lb.main.zone_id
    evaluate_target_health = true
  }
}
