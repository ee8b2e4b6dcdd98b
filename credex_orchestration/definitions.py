"""The code location: every environment of environments.yaml gets its graph, jobs, checks and triggers.

Each area (infrastructure, verification, triggers, maintenance, ...) builds its own `Definitions` from the
environments; this module merges them and adds the resources.
"""

from pathlib import Path

from dagster import Definitions, EnvVar

from .components import definitions as components
from .environments import Environments, load_environments
from .images import definitions as images
from .notifications import definitions as notifications
from .operations import backup_definitions
from .operations import definitions as operations
from .resources import AwsResource, TerraformResource
from .triggers import definitions as triggers
from .triggers.resources import CredexCoreRepository, Neo4jPackageIndex
from .verification import definitions as verification


def default_resources() -> dict[str, object]:
    """Resources as deployed; tests and demos point them elsewhere through environment variables."""
    return {
        "terraform": TerraformResource(
            roots_dir=EnvVar("CREDEX_TERRAFORM_ROOTS").get_value("terraform"),
            work_dir=EnvVar("CREDEX_WORK_DIR").get_value(".credex/terraform"),
            s3_endpoint_url=EnvVar("CREDEX_STATE_S3_ENDPOINT").get_value(),
        ),
        "aws": AwsResource(endpoint_url=EnvVar("AWS_ENDPOINT_URL").get_value()),
        "credex_core": CredexCoreRepository(
            url=EnvVar("CREDEX_CORE_REPOSITORY").get_value(""),
            cache_dir=EnvVar("CREDEX_GIT_CACHE").get_value(".credex/git"),
        ),
        "neo4j_packages": Neo4jPackageIndex(),
        "neo4j_images": images.default_resource(),
    }


def build_definitions(environments: Environments, resources: dict[str, object] | None = None) -> Definitions:
    areas = [
        components.build(environments),
        verification.build(environments),
        triggers.build(environments),
        images.build(environments),
        backup_definitions.build(environments),
        operations.build(environments),
        notifications.build(environments),
    ]
    return Definitions.merge(
        *areas,
        Definitions(resources={**default_resources(), **(resources or {})}),
    )


def load(path: Path | str | None = None) -> Definitions:
    return build_definitions(load_environments(path))


defs = load()
