# The instance's PostgreSQL (runs, events, schedules, sensor cursors). The master password is generated and
# kept by RDS in Secrets Manager (manage_master_user_password): Terraform never sees it, so it is in no
# state and no plan; the tasks read it through their ECS `secrets` entry. PostgreSQL 15+ on RDS defaults to
# rds.force_ssl = 1, so the default parameter group already refuses connections without TLS.

resource "aws_db_subnet_group" "orchestrator" {
  name       = local.names.database
  subnet_ids = aws_subnet.private[*].id
}

resource "aws_db_instance" "orchestrator" {
  identifier     = local.names.database
  engine         = "postgres"
  engine_version = "16"
  instance_class = var.database_instance_class

  allocated_storage     = 20
  max_allocated_storage = 100
  storage_type          = "gp3"
  storage_encrypted     = true

  db_name                     = local.names.database_name
  username                    = local.names.database_user
  manage_master_user_password = true

  db_subnet_group_name   = aws_db_subnet_group.orchestrator.name
  vpc_security_group_ids = [aws_security_group.database.id]
  publicly_accessible    = false
  multi_az               = false

  backup_retention_period    = var.database_backup_days
  backup_window              = "01:00-02:00"
  maintenance_window         = "sun:03:00-sun:04:00"
  copy_tags_to_snapshot      = true
  deletion_protection        = true
  skip_final_snapshot        = false
  final_snapshot_identifier  = "${local.names.database}-final"
  auto_minor_version_upgrade = true

  lifecycle {
    prevent_destroy = true
  }
}
