"""An environment's AWS resources created in moto under naming.py's names, for the verification checks.

moto runs as its own server with MOTO_ECS_SERVICE_RUNNING=1 (services report running tasks, rollout
COMPLETED) and MOTO_ACCOUNT_ID=000000000000 (the account the fixture Terraform roots put in their ARNs),
through tests/support/moto_ecs_tasks.py, which gives services the tasks moto leaves out (startedAt, per
service, replaced on a new task definition).
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from credex_orchestration import naming
from credex_orchestration.environments import Environment
from credex_orchestration.verification.databases import SECRET_KEYS

from .moto import MotoServer

ACCOUNT = "000000000000"
ECS_MOTO_ENV = {"MOTO_ECS_SERVICE_RUNNING": "1", "MOTO_ACCOUNT_ID": ACCOUNT}
ECS_MOTO_MODULE = "tests.support.moto_ecs_tasks"  # the rehearsal moto_ecs patches
PROJECT = Path(__file__).resolve().parents[2]


def ecs_moto() -> MotoServer:
    """moto with running service tasks; the project on the server's path for its entry module."""
    return MotoServer(env={**ECS_MOTO_ENV, "PYTHONPATH": str(PROJECT)}, module=ECS_MOTO_MODULE)


@dataclass
class World:
    env: Environment
    endpoint_url: str
    revisions: dict[str, str] = field(default_factory=dict)  # image tag -> task definition ARN

    def client(self, service: str):
        return boto3.client(service, region_name=self.env.aws.region, endpoint_url=self.endpoint_url)

    # app -------------------------------------------------------------------------------------------
    def register(self, image_tag: str) -> str:
        arn = self.client("ecs").register_task_definition(
            family=naming.task_family(self.env),
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu="256",
            memory="512",
            containerDefinitions=[
                {
                    "name": naming.CONTAINER_NAME,
                    "image": f"{ACCOUNT}.dkr.ecr.af-south-1.amazonaws.com/credex-core:{image_tag}",
                    "essential": True,
                    "portMappings": [{"containerPort": 3000}],
                }
            ],
        )["taskDefinition"]["taskDefinitionArn"]
        self.revisions[image_tag] = arn
        return arn

    def app(self, image_tag: str) -> str:
        """Cluster, the app secret, a service running `image_tag`'s new revision, and the log group."""
        ecs = self.client("ecs")
        ecs.create_cluster(clusterName=naming.ecs_cluster(self.env))
        self.app_secret()
        arn = self.register(image_tag)
        ecs.create_service(
            cluster=naming.ecs_cluster(self.env),
            serviceName=naming.ecs_service(self.env),
            taskDefinition=arn,
            desiredCount=1,
            launchType="FARGATE",
        )
        logs = self.client("logs")
        logs.create_log_group(logGroupName=naming.log_group(self.env))
        logs.create_log_stream(logGroupName=naming.log_group(self.env), logStreamName="ecs/credex-core/1")
        now = int(datetime.datetime.now(datetime.UTC).timestamp() * 1000)
        logs.put_log_events(
            logGroupName=naming.log_group(self.env),
            logStreamName="ecs/credex-core/1",
            logEvents=[
                {"timestamp": now + i, "message": m}
                for i, m in enumerate(["starting", "Error: cannot connect to Neo4j", "exiting"])
            ],
        )
        return arn

    def app_secret(self) -> None:
        """The app's secret (terraform/app/secrets.tf owns it; an operator puts its value), if not there."""
        secrets = self.client("secretsmanager")
        try:
            secrets.describe_secret(SecretId=naming.app_secret(self.env))
        except secrets.exceptions.ResourceNotFoundException:
            value = {"JWT_SECRET": "jwt-value-s3cr3t", "CLIENT_API_KEY": "client-key-s3cr3t"}
            secrets.create_secret(Name=naming.app_secret(self.env), SecretString=json.dumps(value))

    def tasks(self) -> list[dict]:
        """The service's running tasks, as the stale-task check reads them."""
        ecs, cluster = self.client("ecs"), naming.ecs_cluster(self.env)
        arns = ecs.list_tasks(
            cluster=cluster, serviceName=naming.ecs_service(self.env), desiredStatus="RUNNING"
        )
        return (
            ecs.describe_tasks(cluster=cluster, tasks=arns["taskArns"])["tasks"] if arns["taskArns"] else []
        )

    def deploy(self, image_tag: str) -> str:
        """What the real app root does on a new image: a new revision, and the service pointed at it."""
        arn = self.revisions.get(image_tag) or self.register(image_tag)
        self.client("ecs").update_service(
            cluster=naming.ecs_cluster(self.env), service=naming.ecs_service(self.env), taskDefinition=arn
        )
        return arn

    def running(self) -> str:
        service = self.client("ecs").describe_services(
            cluster=naming.ecs_cluster(self.env), services=[naming.ecs_service(self.env)]
        )["services"][0]
        return service["taskDefinition"]

    # connectors ------------------------------------------------------------------------------------
    def network(self) -> dict[str, str]:
        ec2 = self.client("ec2")
        vpc = ec2.create_vpc(CidrBlock=self.env.network.vpc_cidr)["Vpc"]["VpcId"]
        ec2.create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": naming.vpc(self.env)}])
        base = self.env.network.vpc_cidr.split(".")
        subnets = [
            ec2.create_subnet(
                VpcId=vpc, CidrBlock=f"{base[0]}.{base[1]}.{i}.0/24", AvailabilityZone=f"af-south-1{z}"
            )["Subnet"]["SubnetId"]
            for i, z in ((1, "a"), (2, "b"))
        ]
        groups = {}
        for name in (
            naming.alb_security_group(self.env),
            naming.ecs_tasks_security_group(self.env),
            naming.neo4j_security_group(self.env),
        ):
            groups[name] = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
        elbv2 = self.client("elbv2")
        balancer = elbv2.create_load_balancer(
            Name=naming.alb(self.env),
            Subnets=subnets,
            SecurityGroups=[groups[naming.alb_security_group(self.env)]],
        )["LoadBalancers"][0]["LoadBalancerArn"]
        target_group = elbv2.create_target_group(
            Name=naming.target_group(self.env), Protocol="HTTP", Port=3000, VpcId=vpc, TargetType="ip"
        )["TargetGroups"][0]["TargetGroupArn"]
        return {"vpc": vpc, "balancer": balancer, "target_group": target_group, **groups}

    def register_target(self, target_group: str, target: str = "10.1.1.10") -> None:
        self.client("elbv2").register_targets(
            TargetGroupArn=target_group, Targets=[{"Id": target, "Port": 3000}]
        )

    def https_listener(self, balancer: str, certificate_arn: str) -> None:
        self.client("elbv2").create_listener(
            LoadBalancerArn=balancer,
            Protocol="HTTPS",
            Port=443,
            Certificates=[{"CertificateArn": certificate_arn}],
            DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
        )

    def issued_certificate(self) -> str:
        """An imported certificate: ACM reports imported certificates ISSUED."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, self.env.domain)])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .sign(key, hashes.SHA256())
        )
        return self.client("acm").import_certificate(
            Certificate=cert.public_bytes(serialization.Encoding.PEM),
            PrivateKey=key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
        )["CertificateArn"]

    def pending_certificate(self) -> str:
        return self.client("acm").request_certificate(DomainName=self.env.domain, ValidationMethod="DNS")[
            "CertificateArn"
        ]

    # databases -------------------------------------------------------------------------------------
    def databases(self, groups: dict[str, str], secret: dict | None = None) -> list[str]:
        ec2 = self.client("ec2")
        neo4j, app = (
            groups[naming.neo4j_security_group(self.env)],
            groups[naming.ecs_tasks_security_group(self.env)],
        )
        ec2.authorize_security_group_ingress(
            GroupId=neo4j,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": port,
                    "ToPort": port,
                    "UserIdGroupPairs": [{"GroupId": app}],
                }
                for port in (7474, 7687)
            ],
        )
        ids = []
        for space in ("LedgerSpace", "SearchSpace"):
            ids.append(
                ec2.run_instances(
                    ImageId="ami-12c6146b",
                    MinCount=1,
                    MaxCount=1,
                    InstanceType="t3.medium",
                    TagSpecifications=[
                        {
                            "ResourceType": "instance",
                            "Tags": [{"Key": "Name", "Value": naming.neo4j_instance(self.env, space)}],
                        }
                    ],
                )["Instances"][0]["InstanceId"]
            )
        values = secret if secret is not None else {key: f"value-of-{key}-s3cr3t" for key in SECRET_KEYS}
        self.client("secretsmanager").create_secret(
            Name=naming.neo4j_secret(self.env), SecretString=json.dumps(values)
        )
        return ids
