"""What an AWS account holds before the first deploy of an environment, made in emulated AWS.

The state bucket `credex-terraform-state-<env>` (versioned: the bootstrap root makes it in a real account),
the public hosted zone of the environment's domain with the A record the old system left for the domain
(the connectors root takes it over), and a Neo4j AMI of the environment's edition made the way the AMI
pipeline leaves one (an instance of a base image, imaged, tagged like `images/build.py` tags it).
"""

from __future__ import annotations

from typing import Any

import boto3

from ..environments import Environment

OLD_SYSTEM_ADDRESS = "198.51.100.7"  # the A record the old system left for each domain (TEST-NET-2)
NEO4J_VERSION = "5.26.12"


def client(service: str, environment: Environment, endpoint_url: str) -> Any:
    """A client of moto with placeholder credentials: never the caller's real ones."""
    return boto3.client(
        service,
        region_name=environment.aws.region,
        endpoint_url=endpoint_url,
        aws_access_key_id="rehearsal",
        aws_secret_access_key="rehearsal",
    )


def state_bucket(environment: Environment, endpoint_url: str) -> None:
    s3 = client("s3", environment, endpoint_url)
    bucket = environment.state.bucket
    if bucket in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
        return
    s3.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": environment.state_region}
    )
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})


def zone_name(environment: Environment) -> str:
    """The connectors root's default hosted zone: the domain's last two labels."""
    return ".".join(environment.domain.split(".")[-2:])


def hosted_zone(environment: Environment, endpoint_url: str) -> str:
    """The public hosted zone of the domain (one per zone name, shared by environments under it)."""
    route53 = client("route53", environment, endpoint_url)
    wanted = zone_name(environment) + "."
    for zone in route53.list_hosted_zones()["HostedZones"]:
        if zone["Name"] == wanted:
            return zone["Id"].split("/")[-1]
    created = route53.create_hosted_zone(Name=wanted, CallerReference=f"rehearsal-{wanted}")
    return created["HostedZone"]["Id"].split("/")[-1]


def old_system_record(environment: Environment, endpoint_url: str) -> None:
    route53 = client("route53", environment, endpoint_url)
    route53.change_resource_record_sets(
        HostedZoneId=hosted_zone(environment, endpoint_url),
        ChangeBatch={
            "Changes": [
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": environment.domain,
                        "Type": "A",
                        "TTL": 300,
                        "ResourceRecords": [{"Value": OLD_SYSTEM_ADDRESS}],
                    },
                }
            ]
        },
    )


def neo4j_ami(environment: Environment, endpoint_url: str, label: str = "") -> str:
    """An AMI as the pipeline leaves one; `label` makes another image of the edition (a new release)."""
    edition = environment.neo4j.edition
    ec2 = client("ec2", environment, endpoint_url)
    base = ec2.register_image(
        Name="al2023-ami-2023.9-kernel-6.1-x86_64",
        RootDeviceName="/dev/xvda",
        BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}],
    )["ImageId"]
    builder = ec2.run_instances(
        ImageId=base,
        InstanceType="t3.medium",
        MinCount=1,
        MaxCount=1,
        TagSpecifications=[
            {
                "ResourceType": "instance",
                "Tags": [
                    {"Key": "Purpose", "Value": "neo4j-ami-builder"},
                    {"Key": "BuiltBy", "Value": "credex-orchestration"},
                ],
            }
        ],
    )["Instances"][0]["InstanceId"]
    ec2.stop_instances(InstanceIds=[builder])
    version = NEO4J_VERSION + label
    name = f"neo4j-{edition}-{version}-rehearsal{label}"
    tags = {
        "Name": name,
        "Neo4jVersion": version,
        "Neo4jEdition": edition,
        "SourceAmi": base,
        "BuiltBy": "credex-orchestration",
        "DagsterRunId": "rehearsal",
    }
    ami = ec2.create_image(
        InstanceId=builder,
        Name=name,
        Description=f"Neo4j {edition} {version} on Amazon Linux 2023",
        TagSpecifications=[
            {"ResourceType": "image", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
        ],
    )["ImageId"]
    ec2.terminate_instances(InstanceIds=[builder])
    return ami


def prepare(environment: Environment, endpoint_url: str) -> str:
    """State bucket, hosted zone with the old record, and a Neo4j AMI; returns the AMI id."""
    state_bucket(environment, endpoint_url)
    old_system_record(environment, endpoint_url)
    return neo4j_ami(environment, endpoint_url)


def push_image(environment: Environment, endpoint_url: str, sha: str) -> str:
    """What credex-core's image workflow does for a commit: an image tagged `sha` in the environment's ECR
    repository (made by the connectors root), with a layer of its own so each SHA has its own digest."""
    import json

    from .. import naming

    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"digest": f"sha256:{sha[:8] * 8}", "size": 1, "mediaType": "application/json"},
        "layers": [{"digest": f"sha256:{sha[-8:] * 8}", "size": 1, "mediaType": "x"}],
    }
    image = client("ecr", environment, endpoint_url).put_image(
        repositoryName=naming.ecr_repository(environment), imageManifest=json.dumps(manifest), imageTag=sha
    )
    return image["image"]["imageId"]["imageDigest"]
