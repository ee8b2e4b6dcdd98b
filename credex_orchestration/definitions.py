"""The code location: every environment of environments.yaml gets its graph, jobs, checks and triggers.

Each area (infrastructure, verification, triggers, maintenance, ...) builds its own `Definitions` from the
environments; this module merges them and adds the resources.
"""

from pathlib import Path

from dagster import Definitions, EnvVar

from .environments import Environments, load_environments
from .infrastructure import definitions as infrastructure
from .notifications import definitions as notifications
from .resources import AwsResource, TerraformResource


def default_resources() -> dict[str, object]:
    """Resources as deployed; tests and demos point them elsewhere through environment variables."""
    return {
        "terraform": TerraformResource(
            roots_dir=EnvVar("CREDEX_TERRAFORM_ROOTS").get_value("terraform"),
            work_dir=EnvVar("CREDEX_WORK_DIR").get_value(".credex/terraform"),
            s3_endpoint_url=EnvVar("CREDEX_STATE_S3_ENDPOINT").get_value(),
        ),
        "aws": AwsResource(endpoint_url=EnvVar("AWS_ENDPOINT_URL").get_value()),
    }


def build_definitions(environments: Environments, resources: dict[str, object] | None = None) -> Definitions:
    areas = [
        infrastructure.build(environments),
        notifications.build(environments),
    ]
    return Definitions.merge(*areas, Definitions(resources=resources or default_resources()))


def load(path: Path | str | None = None) -> Definitions:
    return build_definitions(load_environments(path))


defs = load()
