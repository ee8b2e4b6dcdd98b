# Every name of this root.
locals {
  common_tags = {
    Project   = "credex-orchestration"
    Component = "orchestrator"
    ManagedBy = "terraform"
  }

  prefix = "credex-orchestrator"

  names = {
    vpc                  = "${local.prefix}-vpc"
    cluster              = local.prefix
    database             = "${local.prefix}-db"
    database_name        = "dagster"
    database_user        = "dagster"
    compute_logs_bucket  = "${local.prefix}-compute-logs-${data.aws_caller_identity.current.account_id}"
    image_repository     = "credex-orchestration"
    webserver            = "${local.prefix}-webserver"
    daemon               = "${local.prefix}-daemon"
    run_worker           = "${local.prefix}-run"
    execution_role       = "${local.prefix}-execution"
    webserver_role       = "${local.prefix}-webserver"
    daemon_role          = "${local.prefix}-daemon"
    run_worker_role      = "${local.prefix}-run-worker"
    deployer_access      = "${local.prefix}-ui-access"
    orchestration_pusher = "credex-orchestration-image-push"
  }

  log_groups = {
    webserver   = "/credex/orchestrator/webserver"
    daemon      = "/credex/orchestrator/daemon"
    code_server = "/credex/orchestrator/code-server"
    run         = "/credex/orchestrator/run"
  }

  shared_environments   = { for name, env in var.environments : name => env if !env.separate_account }
  separate_environments = { for name, env in var.environments : name => env if env.separate_account }

  image = var.image_tag == null ? null : "${aws_ecr_repository.orchestrator.repository_url}:${var.image_tag}"
}

data "aws_caller_identity" "current" {}

data "aws_availability_zones" "available" {
  state = "available"
}
