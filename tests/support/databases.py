"""Neo4j-side set-up in moto for the databases tests: AMIs, data volumes, instances, our snapshots."""

from __future__ import annotations

import json

REGION = "af-south-1"


def register_ami(ec2, name: str) -> str:
    return ec2.register_image(
        Name=name,
        RootDeviceName="/dev/xvda",
        BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}],
    )["ImageId"]


def data_volumes(ec2, env: str) -> dict[str, str]:
    volumes = {}
    for role in ("LedgerSpace", "SearchSpace"):
        volumes[role] = ec2.create_volume(
            AvailabilityZone=f"{REGION}a",
            Size=50,
            VolumeType="gp3",
            Encrypted=True,
            TagSpecifications=[
                {
                    "ResourceType": "volume",
                    "Tags": [{"Key": "Environment", "Value": env}, {"Key": "Role", "Value": role}],
                }
            ],
        )["VolumeId"]
    return volumes


def neo4j_instance(ec2, ami: str, name: str) -> str:
    return ec2.run_instances(
        ImageId=ami,
        MinCount=1,
        MaxCount=1,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}],
    )["Instances"][0]["InstanceId"]


def our_snapshots(ec2) -> list[dict]:
    filters = [{"Name": "tag:BuiltBy", "Values": ["credex-orchestration"]}]
    return ec2.describe_snapshots(OwnerIds=["self"], Filters=filters)["Snapshots"]


def state_ami(terraform, env, address: str) -> str:
    workspace = terraform.workspace(env, "databases")
    state = json.loads("\n".join(workspace.run("show", "-json", "-no-color").stdout))
    resources = state["values"]["root_module"]["resources"]
    return next(r["values"]["triggers_replace"] for r in resources if r["address"] == address)
