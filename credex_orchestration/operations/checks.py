"""Maintenance checks: the deploy policy and access-key age."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    AssetSpec,
    Config,
    MetadataValue,
    asset_check,
)
from pydantic import Field

from .. import naming
from ..environments import Environment, Environments
from ..resources import AwsResource, TerraformResource
from . import iam_policy
from .access_keys import key_ages, keys_due

DEPLOY_POLICY = naming.DEPLOY_POLICY_KEY


def deployment_user_key(environment: Environment) -> AssetKey:
    return naming.deployment_user_key(environment.name)


def external_assets(environments: Environments) -> list[AssetSpec]:
    """What these checks look at: the checked-in policy, and each environment's deploy user in IAM."""
    specs = [
        AssetSpec(
            DEPLOY_POLICY,
            group_name="maintenance",
            description="docs/deploy/credex-permissions.json, generated from terraform/ (iam_policy --write).",
        )
    ]
    for environment in environments.values():
        specs.append(
            AssetSpec(
                deployment_user_key(environment),
                group_name=environment.name,
                description=f"IAM user {naming.deployment_user(environment)} that deploys {environment.name}.",
            )
        )
    return specs


@asset_check(
    asset=DEPLOY_POLICY,
    name="covers_terraform_types",
    description="Every type in terraform/ is in the table.",
)
def covers_terraform_types(terraform: TerraformResource) -> AssetCheckResult:
    roots = terraform.root("connectors").parent
    missing = iam_policy.missing_types(roots)
    return AssetCheckResult(
        passed=not missing,
        metadata={
            "roots": str(roots),
            "missing": MetadataValue.json([f"{m.type} ({m.file})" for m in missing]),
        },
    )


@asset_check(
    asset=DEPLOY_POLICY, name="policy_current", description="The checked-in policy matches the roots."
)
def policy_current(terraform: TerraformResource) -> AssetCheckResult:
    roots = terraform.root("connectors").parent
    try:
        reason = iam_policy.stale_reason(roots)
    except iam_policy.PolicyTableError as error:
        reason = str(error)
    return AssetCheckResult(
        passed=reason is None, metadata={"roots": str(roots), "problem": reason or "none"}
    )


class KeyRotationConfig(Config):
    rotation_days: int = Field(90, ge=1, le=3650, description="Warn when an active key is older than this.")


def access_key_rotation_check(environment: Environment):
    user = naming.deployment_user(environment)

    @asset_check(
        asset=deployment_user_key(environment),
        name="access_key_rotation",
        description=f"Warns when an active access key of {user} is older than the rotation period.",
    )
    def access_key_rotation(config: KeyRotationConfig, aws: AwsResource) -> AssetCheckResult:
        ages = key_ages(aws.session(environment).client("iam"), user)
        due = keys_due(ages, config.rotation_days)
        return AssetCheckResult(
            passed=not due,
            severity=AssetCheckSeverity.WARN,
            description="; ".join(a.describe() for a in due) or None,
            metadata={
                "user": user,
                "rotation_days": config.rotation_days,
                "due": MetadataValue.json([{"key_id": a.key_id, "age_days": a.age_days} for a in due]),
                "keys": MetadataValue.json(
                    [{"key_id": a.key_id, "status": a.status, "age_days": a.age_days} for a in ages]
                ),
            },
        )

    return access_key_rotation
