"""Where and how Neo4j AMIs are built, smoke-tested and retained: one resource, plain settings inside."""

from dataclasses import dataclass, field

from dagster import ConfigurableResource
from pydantic import Field

from ..lib.aws import AwsSession

AL2023_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
# Neo4j's RPM repository: AMIs install from it and the release sensor reads its metadata (one source).
NEO4J_RPM_REPOSITORY = "https://yum.neo4j.com/stable/latest"


@dataclass(frozen=True)
class BuildSettings:
    """The builder's settings, free of Dagster so the builder can be driven directly (tests, scripts)."""

    base_image_parameter: str = AL2023_PARAMETER
    repository_url: str = NEO4J_RPM_REPOSITORY
    gpg_key_url: str = "https://debian.neo4j.com/neotechnology.gpg.key"
    instance_type: str = "t3.medium"
    subnet_id: str | None = None
    security_group_ids: tuple[str, ...] = ()
    instance_profile: str | None = None
    signal_prefix: str = "/credex/neo4j-ami"
    build_timeout_seconds: float = 1800
    smoke_timeout_seconds: float = 900
    image_timeout_seconds: float = 3600
    poll_interval_seconds: float = 15
    extra_tags: dict[str, str] = field(default_factory=dict)


class Neo4jImagesResource(ConfigurableResource):
    """Region, base image, package repository and timeouts of the Neo4j AMI pipeline.

    The builder instance needs an instance profile allowed to `ssm:PutParameter` under `signal_prefix`
    (its only way to report back) and a subnet with a route to the package repository.
    """

    region: str = Field(default="af-south-1", description="Region the AMIs are built in (the databases').")
    endpoint_url: str | None = Field(default=None, description="AWS endpoint override (moto in tests).")
    base_image_parameter: str = Field(
        default=AL2023_PARAMETER, description="Public SSM parameter naming the Amazon Linux 2023 base AMI."
    )
    repository_url: str = Field(
        default=NEO4J_RPM_REPOSITORY,
        description="Neo4j's RPM repository: versions are checked against its index and installed from it.",
    )
    gpg_key_url: str = Field(default="https://debian.neo4j.com/neotechnology.gpg.key")
    instance_type: str = Field(default="t3.medium", description="Builder and smoke-test instance type.")
    subnet_id: str | None = Field(
        default=None, description="Subnet of builder instances (default VPC if unset)."
    )
    security_group_ids: list[str] = Field(default_factory=list)
    instance_profile: str | None = Field(default=None, description="Instance profile name of the builders.")
    signal_prefix: str = Field(default="/credex/neo4j-ami", pattern=r"^/[A-Za-z0-9_./-]+$")
    build_timeout_seconds: float = Field(default=1800, gt=0)
    smoke_timeout_seconds: float = Field(default=900, gt=0)
    image_timeout_seconds: float = Field(default=3600, gt=0)
    poll_interval_seconds: float = Field(default=15, gt=0)
    keep_passing: int = Field(default=3, ge=1, description="Passing AMIs kept per edition by retention.")
    deprecate_after_days: int = Field(
        default=30, ge=0, description="Superseded AMIs are marked deprecated this many days later."
    )

    def settings(self) -> BuildSettings:
        return BuildSettings(
            base_image_parameter=self.base_image_parameter,
            repository_url=self.repository_url,
            gpg_key_url=self.gpg_key_url,
            instance_type=self.instance_type,
            subnet_id=self.subnet_id,
            security_group_ids=tuple(self.security_group_ids),
            instance_profile=self.instance_profile,
            signal_prefix=self.signal_prefix,
            build_timeout_seconds=self.build_timeout_seconds,
            smoke_timeout_seconds=self.smoke_timeout_seconds,
            image_timeout_seconds=self.image_timeout_seconds,
            poll_interval_seconds=self.poll_interval_seconds,
        )

    def session(self) -> AwsSession:
        return AwsSession(region=self.region, endpoint_url=self.endpoint_url, session_name="credex-neo4j-ami")
