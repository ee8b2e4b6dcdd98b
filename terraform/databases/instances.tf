# Two Neo4j instances in different private subnets (AZs), each with an encrypted gp3 data volume separate
# from its root volume. Instances and data volumes have prevent_destroy: a plan that would replace or delete
# them (a new AMI, a new subnet) fails instead of losing data; replacing one is a deliberate, snapshotted act.

data "aws_subnet" "private" {
  count = 2
  id    = var.private_subnet_ids[count.index]
}

locals {
  spaces = {
    ledgerspace = aws_ebs_volume.ledgerspace_data.id
    searchspace = aws_ebs_volume.searchspace_data.id
  }

  # Rendered per space; holds names and ids only, never a password or the licence.
  user_data = {
    for space, volume_id in local.spaces : space => templatefile("${path.module}/user-data.sh.tftpl", {
      region         = var.region
      space          = space
      edition        = var.neo4j_edition
      secret_name    = local.names.neo4j_secret
      licence_secret = local.names.neo4j_licence_secret
      password_key   = "${space}pass"
      volume_id      = volume_id
    })
  }
}

resource "aws_ebs_volume" "ledgerspace_data" {
  availability_zone = data.aws_subnet.private[0].availability_zone
  type              = "gp3"
  size              = var.volume_size_gb
  iops              = var.data_volume_iops
  throughput        = var.data_volume_throughput
  encrypted         = true
  final_snapshot    = true

  # Role is how backups and the roll-out find the volume (credex_orchestration/databases/volumes.py).
  tags = merge(local.common_tags, { Name = local.names.ledgerspace_data_volume, Neo4jSpace = "ledgerspace", Role = "LedgerSpace" })

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_ebs_volume" "searchspace_data" {
  availability_zone = data.aws_subnet.private[1].availability_zone
  type              = "gp3"
  size              = var.volume_size_gb
  iops              = var.data_volume_iops
  throughput        = var.data_volume_throughput
  encrypted         = true
  final_snapshot    = true

  tags = merge(local.common_tags, { Name = local.names.searchspace_data_volume, Neo4jSpace = "searchspace", Role = "SearchSpace" })

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_instance" "ledgerspace" {
  ami                    = var.ami_id
  instance_type          = var.instance_type
  subnet_id              = var.private_subnet_ids[0]
  vpc_security_group_ids = [var.neo4j_security_group_id]
  iam_instance_profile   = aws_iam_instance_profile.neo4j.name
  user_data              = local.user_data["ledgerspace"]
  # A user_data change is an in-place update (stop, modify, start), never a replacement; the roll-out does
  # such updates one instance at a time (docs/decisions/0103-neo4j-instance-changes-on-5-100.md).
  user_data_replace_on_change = false
  # Termination protection guards the console and API; a guarded replacement lifts it for that one
  # instance first (replace_override.py, decision 0103).
  disable_api_termination = true
  monitoring              = true

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = var.root_volume_size_gb
    encrypted             = true
    delete_on_termination = true
    tags                  = merge(local.common_tags, { Name = local.names.ledgerspace_instance })
  }

  tags = merge(local.common_tags, { Name = local.names.ledgerspace_instance, Neo4jSpace = "ledgerspace", Neo4jEdition = var.neo4j_edition })

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_instance" "searchspace" {
  ami                    = var.ami_id
  instance_type          = var.instance_type
  subnet_id              = var.private_subnet_ids[1]
  vpc_security_group_ids = [var.neo4j_security_group_id]
  iam_instance_profile   = aws_iam_instance_profile.neo4j.name
  user_data              = local.user_data["searchspace"]
  # A user_data change is an in-place update (stop, modify, start), never a replacement; the roll-out does
  # such updates one instance at a time (docs/decisions/0103-neo4j-instance-changes-on-5-100.md).
  user_data_replace_on_change = false
  # Termination protection guards the console and API; a guarded replacement lifts it for that one
  # instance first (replace_override.py, decision 0103).
  disable_api_termination = true
  monitoring              = true

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = var.root_volume_size_gb
    encrypted             = true
    delete_on_termination = true
    tags                  = merge(local.common_tags, { Name = local.names.searchspace_instance })
  }

  tags = merge(local.common_tags, { Name = local.names.searchspace_instance, Neo4jSpace = "searchspace", Neo4jEdition = var.neo4j_edition })

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_volume_attachment" "ledgerspace_data" {
  device_name                    = "/dev/sdf"
  volume_id                      = aws_ebs_volume.ledgerspace_data.id
  instance_id                    = aws_instance.ledgerspace.id
  stop_instance_before_detaching = true
}

resource "aws_volume_attachment" "searchspace_data" {
  device_name                    = "/dev/sdf"
  volume_id                      = aws_ebs_volume.searchspace_data.id
  instance_id                    = aws_instance.searchspace.id
  stop_instance_before_detaching = true
}
