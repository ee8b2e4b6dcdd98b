"""Maintenance checks: orphan cleanup after a deploy, the deploy policy, and access-key age."""

from dagster import (
    AssetCheckExecutionContext,
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
from .cleanup import CleanupRefused, run_cleanup

DEPLOY_POLICY = AssetKey(["iam", "deploy_policy"])


def deployment_user_key(environment: Environment) -> AssetKey:
    return AssetKey([environment.name, "deployment_user"])


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


def orphan_cleanup_check(environment: Environment, environments: Environments):
    """Runs after `<env>/app` in every deploy; acts only when the run's deploy config has run_cleanup on.

    A check, not a fourth asset: the deploy job selects the three components and their checks, so the
    cleanup runs last, only after a successful app deploy (docs/decisions/0051-environment-scoped-cleanup.md).
    """

    @asset_check(
        asset=AssetKey([environment.name, "app"]),
        name="orphan_cleanup",
        description=f"With run_cleanup on, delete {environment.name}'s orphaned resources after the deploy.",
    )
    def orphan_cleanup(
        context: AssetCheckExecutionContext, aws: AwsResource, terraform: TerraformResource
    ) -> AssetCheckResult:
        run = context.op_execution_context.run
        ops = (run.run_config or {}).get("ops", {})
        app_config = ops.get(f"{environment.name}__app", {}).get("config", {})
        if not app_config.get("run_cleanup"):
            return AssetCheckResult(passed=True, metadata={"skipped": "run_cleanup is off for this deploy"})
        from .jobs import report_metadata

        try:
            report = run_cleanup(
                aws.session(environment),
                terraform,
                environment,
                environments,
                delete=True,
                run_tags=dict(run.tags),
                confirmation=app_config.get("confirm_environment", ""),
                log=context.log.info,
            )
        except CleanupRefused as error:
            context.log.error(str(error))
            return AssetCheckResult(passed=False, metadata={"refused": str(error)})
        return AssetCheckResult(passed=not report.failed, metadata=report_metadata(report))

    return orphan_cleanup


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
