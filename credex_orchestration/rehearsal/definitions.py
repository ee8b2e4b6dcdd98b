"""The code location and instance settings of a rehearsal run in one process (tests, benchmarks).

The resources point at the rehearsal's moto: Terraform's S3 state backend and every AWS client; the
instance settings are the local dagster.yaml's, whose pools hold one writer per environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from dagster import Definitions

from ..definitions import build_definitions
from ..environments import PROJECT_ROOT, Environments
from ..resources import AwsResource, TerraformResource


def rehearsal_definitions(
    environments: Environments, endpoint_url: str, work_dir: Path
) -> tuple[TerraformResource, Definitions]:
    terraform = TerraformResource(roots_dir="terraform", work_dir=str(work_dir), s3_endpoint_url=endpoint_url)
    defs = build_definitions(
        environments, resources={"terraform": terraform, "aws": AwsResource(endpoint_url=endpoint_url)}
    )
    return terraform, defs


def local_instance_settings() -> dict[str, Any]:
    """The local instance's settings (dagster.yaml), as overrides for `DagsterInstance.local_temp`."""
    return yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text())
