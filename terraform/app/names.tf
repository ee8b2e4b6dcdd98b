# Every name of this root, from var.environment. credex_orchestration/naming.py computes the same names;
# tests/test_terraform_names.py evaluates this file with Terraform and compares, so rename there first.
locals {
  slug              = replace(var.environment, "_", "-")
  secret_short_name = lookup({ production = "prod", staging = "stage", development = "dev" }, var.environment, var.environment)

  common_tags = {
    Project     = "credex-core"
    Environment = var.environment
    Component   = "app"
    ManagedBy   = "terraform"
  }

  names = {
    ecs_cluster         = "credex-cluster-${local.slug}"
    ecs_service         = "credex-core-service-${local.slug}"
    task_family         = "credex-core-${local.slug}"
    container           = "credex-core"
    log_group           = "/ecs/credex-core-${local.slug}"
    ecr_repository      = "credex-core-${local.slug}"
    app_secret          = "credex-core-app-secrets-${local.slug}"
    execution_role      = "credex-core-execution-role-${local.slug}"
    execution_policy    = "credex-core-execution-${local.slug}"
    task_role           = "credex-core-task-role-${local.slug}"
    cpu_alarm           = "credex-core-cpu-high-${local.slug}"
    memory_alarm        = "credex-core-memory-high-${local.slug}"
    running_tasks_alarm = "credex-core-running-tasks-low-${local.slug}"
    alarm_topic         = "credex-core-alarms-${local.slug}"
  }
}
