# The app's own secrets (JWT_SECRET, OPEN_EXCHANGE_RATES_API, CLIENT_API_KEY, WHATSAPP_BOT_API_KEY) in one
# JSON secret. Terraform writes its value once, at the first deploy of an environment, so the first tasks
# can start: a generated JWT_SECRET and empty API keys. The operator then puts the real value
# (docs/terraform.md, "First deploy of an environment"), which Terraform never overwrites, and the next app
# deploy redeploys the service because the secret's current version changed (service.tf `triggers`).
# No value is ever in Terraform state or plans (write-only argument, ephemeral password; decision 0102).

resource "aws_secretsmanager_secret" "app" {
  name                    = local.names.app_secret
  description             = "credex-core ${var.environment}: JWT_SECRET, OPEN_EXCHANGE_RATES_API, CLIENT_API_KEY, WHATSAPP_BOT_API_KEY"
  recovery_window_in_days = 30

  tags = merge(local.common_tags, { Name = local.names.app_secret })
}

# Whether the secret already holds a value and which version is current, known when planning (by name:
# a secret adopted into this state keeps its value).
data "aws_secretsmanager_secrets" "app_existing" {
  filter {
    name   = "name"
    values = [local.names.app_secret]
  }
}

data "aws_secretsmanager_secret_versions" "app_existing" {
  count     = contains(data.aws_secretsmanager_secrets.app_existing.names, local.names.app_secret) ? 1 : 0
  secret_id = local.names.app_secret
}

locals {
  app_secret_current_version = one([
    for version in try(data.aws_secretsmanager_secret_versions.app_existing[0].versions, []) :
    version.version_id if contains(version.version_stages, "AWSCURRENT")
  ])
  app_secret_has_value = local.app_secret_current_version != null
}

ephemeral "aws_secretsmanager_secret_version" "app_current" {
  count     = local.app_secret_has_value ? 1 : 0
  secret_id = aws_secretsmanager_secret.app.arn
}

ephemeral "aws_secretsmanager_random_password" "jwt_secret" {
  count = local.app_secret_has_value ? 0 : 1

  password_length     = 64
  exclude_punctuation = true
}

# Created once per environment (secret_string_wo_version never changes, so Terraform never writes again).
# When the secret already had a value, that value is what this version carries.
resource "aws_secretsmanager_secret_version" "app" {
  secret_id = aws_secretsmanager_secret.app.id

  secret_string_wo = local.app_secret_has_value ? one(ephemeral.aws_secretsmanager_secret_version.app_current[*].secret_string) : jsonencode({
    JWT_SECRET              = one(ephemeral.aws_secretsmanager_random_password.jwt_secret[*].random_password)
    OPEN_EXCHANGE_RATES_API = ""
    CLIENT_API_KEY          = ""
    WHATSAPP_BOT_API_KEY    = ""
  })
  secret_string_wo_version = 1
}
