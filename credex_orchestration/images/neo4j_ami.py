"""`neo4j_ami/<edition>`: build a Neo4j AMI of one version, and its blocking smoke test.

The databases read `ami_id` of the latest materialisation whose smoke test passed (pinned, never a
"most recent" lookup). `ami_id` in the run config records an existing AMI instead of building one (the
operator vouches for it, as for the environments-file pin).
"""

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetObservation,
    AssetsDefinition,
    Config,
    DagsterInstance,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)
from pydantic import Field

from .. import naming
from ..environments import EDITIONS
from .build import AmiBuilder
from .settings import Neo4jImagesResource

SMOKE_CHECK = "smoke_test"
PASSED_AMI = "passed_ami_id"
_SCAN = 100  # observations to look through for the newest passing AMI


class Neo4jAmiConfig(Config):
    version: str = Field(
        default="",
        description="Neo4j version to build from Neo4j's RPM repository, e.g. 5.26.12 or 2025.10.1.",
    )
    ami_id: str = Field(
        default="",
        pattern=r"^(ami-[0-9a-f]{8,17})?$",
        description="Instead of building: record this existing Neo4j AMI of the edition as the one to run.",
    )
    version: str = ""


def ami_key(edition: str) -> AssetKey:
    return naming.ami_key(edition)


def passed_observation(edition: str, ami_id: str, run_id: str) -> AssetObservation:
    """The record that `ami_id` passed its smoke test (or was recorded by hand): what databases may run."""
    return AssetObservation(
        asset_key=ami_key(edition),
        description=f"{ami_id} passed its smoke test",
        metadata={PASSED_AMI: ami_id, "run_id": run_id},
    )


def latest_passing_ami(instance: DagsterInstance, edition: str) -> str | None:
    """The newest AMI of `edition` recorded as passing its smoke test, or None."""
    for record in instance.fetch_observations(ami_key(edition), limit=_SCAN).records:
        observation = record.asset_observation
        if observation is not None and PASSED_AMI in observation.metadata:
            return str(observation.metadata[PASSED_AMI].value)
    return None


def builder(images: Neo4jImagesResource, log) -> AmiBuilder:
    session = images.session()
    return AmiBuilder(session.client("ec2"), session.client("ssm"), images.settings(), log=log)


def build_asset(edition: str) -> AssetsDefinition:
    @asset(
        key=ami_key(edition),
        group_name="images",
        kinds={"aws", "neo4j"},
        tags={naming.EDITION_TAG: edition},
        description=f"The Neo4j {edition} AMI that databases on the {edition} edition run.",
    )
    def neo4j_ami(
        context: AssetExecutionContext, config: Neo4jAmiConfig, neo4j_images: Neo4jImagesResource
    ) -> MaterializeResult:
        if config.ami_id:
            context.log.info(f"recording existing AMI {config.ami_id} as neo4j_ami/{edition}")
            return MaterializeResult(
                metadata={
                    "ami_id": config.ami_id,
                    "version": config.version or "unknown",
                    "edition": edition,
                    "source_ami": "",  # not built here
                    "build_duration_seconds": 0.0,
                    "recorded": True,
                }
            )
        if not config.version:
            raise ValueError(f"neo4j_ami/{edition}: give version (e.g. 5.26.12) or ami_id in the run config")
        result = builder(neo4j_images, context.log.info).build(edition, config.version, context.run.run_id)
        return MaterializeResult(
            metadata={
                "ami_id": result.ami_id,
                "image_name": result.image_name,
                "version": result.version,
                "edition": result.edition,
                "source_ami": result.source_ami,
                "build_duration_seconds": result.build_duration_seconds,
                "snapshot_ids": MetadataValue.json(list(result.snapshot_ids)),
                "recorded": False,
            }
        )

    return neo4j_ami


def build_check(edition: str) -> AssetChecksDefinition:
    key = ami_key(edition)

    @asset_check(
        asset=key,
        name=SMOKE_CHECK,
        blocking=True,
        description="Launch the new AMI, wait for Neo4j to report the expected version and edition.",
    )
    def smoke_test(
        context: AssetCheckExecutionContext, neo4j_images: Neo4jImagesResource
    ) -> AssetCheckResult:
        event = context.instance.get_latest_materialization_event(key)
        materialization = event.asset_materialization if event else None
        if materialization is None or event.run_id != context.run.run_id:
            return AssetCheckResult(
                passed=False, description=f"{key.to_user_string()} was not materialised here"
            )
        metadata = {name: value.value for name, value in materialization.metadata.items()}
        ami_id = str(metadata["ami_id"])
        if metadata.get("recorded"):
            context.op_execution_context.log_event(passed_observation(edition, ami_id, context.run.run_id))
            return AssetCheckResult(
                passed=True,
                description=f"{ami_id} was recorded by hand, not built here: not smoke-tested",
                metadata={"ami_id": ami_id, "smoke_tested": False},
            )
        result = builder(neo4j_images, context.log.info).smoke_test(
            ami_id, edition, str(metadata["version"]), context.run.run_id
        )
        if result.passed:
            context.op_execution_context.log_event(passed_observation(edition, ami_id, context.run.run_id))
        return AssetCheckResult(
            passed=result.passed,
            severity=AssetCheckSeverity.ERROR,
            description=result.detail,
            metadata={
                "ami_id": ami_id,
                "smoke_tested": True,
                "instance_id": result.instance_id or "",
                "reported_version": result.reported_version or "",
                "reported_edition": result.reported_edition or "",
            },
        )

    return smoke_test


def build_assets() -> list[AssetsDefinition]:
    return [build_asset(edition) for edition in EDITIONS]


def build_checks() -> list[AssetChecksDefinition]:
    return [build_check(edition) for edition in EDITIONS]
