"""AWS access per environment: region and role come from the environments file, never from code."""

from __future__ import annotations

from dagster import ConfigurableResource
from pydantic import Field

from ..environments import Environment
from ..lib.aws import AwsSession


class AwsResource(ConfigurableResource):
    """boto3 clients for an environment's account and region.

    `endpoint_url` points every client at another endpoint (moto in tests); boto3 also honours
    AWS_ENDPOINT_URL on its own.
    """

    endpoint_url: str | None = Field(
        default=None, description="Override the AWS endpoint for every service (e.g. moto on loopback)."
    )

    def session(self, environment: Environment) -> AwsSession:
        return AwsSession(
            region=environment.aws.region,
            endpoint_url=self.endpoint_url,
            role_arn=environment.aws.role_arn,
            session_name=f"credex-orchestration-{environment.slug}",
        )
