# The app's own secrets (JWT_SECRET, OPEN_EXCHANGE_RATES_API, CLIENT_API_KEY, WHATSAPP_BOT_API_KEY) live in
# one JSON secret. Terraform owns the secret, not its value: an operator puts the value once
# (docs/terraform.md), so no secret value is ever in Terraform code, variables, plans or state.

resource "aws_secretsmanager_secret" "app" {
  name                    = local.names.app_secret
  description             = "credex-core ${var.environment}: JWT_SECRET, OPEN_EXCHANGE_RATES_API, CLIENT_API_KEY, WHATSAPP_BOT_API_KEY"
  recovery_window_in_days = 30

  tags = merge(local.common_tags, { Name = local.names.app_secret })
}
