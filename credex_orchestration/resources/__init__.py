"""Dagster resources: typed, configured from run config or EnvVar, one per outside system."""

from .aws import AwsResource
from .terraform import TerraformResource

__all__ = ["AwsResource", "TerraformResource"]
