"""`ami_freshness` on `<env>/databases`: is the AMI the databases run the newest release on its track?

The AMI id comes from the databases workspace's state (output `neo4j_ami_id`, what actually runs), its
version from the AMI's `Neo4jVersion` tag, else from the `neo4j_ami/<edition>` materialisation that
recorded that AMI. Behind, or unknown, is a WARN: it never blocks anything.
"""

from botocore.exceptions import BotoCoreError, ClientError
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    DagsterInstance,
    multi_asset_check,
)

from .. import naming
from ..deploy.step import open_workspace
from ..environments import Environment, Environments
from ..lib.package_index import PackageIndexError, newest
from ..lib.rpm_repository import RepositoryError, RpmVersion
from ..lib.terraform import TerraformError
from ..resources import AwsResource, TerraformResource
from .deploy_runs import in_deploy_run
from .resources import Neo4jPackageIndex

CHECK_NAME = "ami_freshness"
VERSION_TAG_KEY = "Neo4jVersion"


def check_key(environment: Environment) -> AssetCheckKey:
    return AssetCheckKey(naming.component_key(environment.name, "databases"), CHECK_NAME)


def ami_version(
    aws: AwsResource, environment: Environment, ami_id: str, instance: DagsterInstance
) -> tuple[str | None, str]:
    """(version, where it came from): the AMI's tag, else the neo4j_ami record of that AMI."""
    try:
        images = aws.session(environment).client("ec2").describe_images(ImageIds=[ami_id]).get("Images", [])
        for image in images:
            for tag in image.get("Tags", []):
                if tag.get("Key") == VERSION_TAG_KEY and tag.get("Value"):
                    return tag["Value"], f"tag {VERSION_TAG_KEY} of {ami_id}"
    except (ClientError, BotoCoreError):
        pass  # an AMI we cannot describe may still be recorded below
    edition = environment.neo4j.edition
    records = instance.fetch_materializations(naming.ami_key(edition), limit=50).records
    for record in records:
        metadata = record.asset_materialization.metadata if record.asset_materialization else {}
        if "ami_id" in metadata and metadata["ami_id"].value == ami_id:
            for name in ("neo4j_version", "version"):
                if name in metadata and metadata[name].value:
                    return str(metadata[name].value), f"neo4j_ami/{edition} materialisation"
    return None, ""


def is_behind(running: str, latest: RpmVersion) -> bool:
    """Versions as builds record them (5.26.12) compared within the repository's epoch."""
    try:
        version = RpmVersion.parse(running)
    except RepositoryError as error:
        raise PackageIndexError(str(error)) from None
    return RpmVersion(version.version, latest.epoch) < latest


def evaluate_environment(
    environment: Environment,
    terraform: TerraformResource,
    aws: AwsResource,
    index: Neo4jPackageIndex,
    packages: dict | None,
    index_error: str | None,
    instance: DagsterInstance,
) -> AssetCheckResult:
    key = check_key(environment)
    edition, track = environment.neo4j.edition, ""

    def warn(description: str, **metadata) -> AssetCheckResult:
        return AssetCheckResult(
            asset_key=key.asset_key,
            check_name=CHECK_NAME,
            passed=False,
            severity=AssetCheckSeverity.WARN,
            description=description,
            metadata={"edition": edition, "track": track, **metadata},
        )

    try:
        track = index.track(edition)
        outputs = open_workspace(environment, "databases", terraform, aws).outputs()
    except (TerraformError, PackageIndexError) as error:
        return warn(f"cannot evaluate: {error}")
    ami = outputs.get("neo4j_ami_id")
    if ami is None or not ami.value:
        return warn(f"{environment.name}/databases is not deployed: no neo4j_ami_id in its state")
    running, source = ami_version(aws, environment, str(ami.value), instance)
    if index_error or packages is None:
        return warn(
            f"cannot read the newest release: {index_error}", ami_id=ami.value, running_version=running or ""
        )
    latest = newest(packages.get(index.package(edition), []), track)
    if latest is None:
        return warn(f"no {edition} release on track {track or 'any'} in {index.url}", ami_id=ami.value)
    metadata = {"ami_id": ami.value, "running_version": running or "unknown", "newest_version": str(latest)}
    if running is None:
        return warn(
            f"the version of AMI {ami.value} is unknown (no {VERSION_TAG_KEY} tag, no record)", **metadata
        )
    try:
        behind = is_behind(running, latest)
    except PackageIndexError as error:
        return warn(f"the version of AMI {ami.value} is unreadable: {error}", **metadata)
    if behind:
        return warn(f"{environment.name} runs Neo4j {running}, {latest} is out on track {track}", **metadata)
    return AssetCheckResult(
        asset_key=key.asset_key,
        check_name=CHECK_NAME,
        passed=True,
        severity=AssetCheckSeverity.WARN,
        description=f"{environment.name} runs Neo4j {running} ({source}), the newest on track {track}",
        metadata={"edition": edition, "track": track, **metadata},
    )


def build_check(environments: Environments):
    specs = [
        AssetCheckSpec(
            CHECK_NAME,
            asset=check_key(environment).asset_key,
            blocking=False,
            description="WARN when the Neo4j AMI the databases run is behind the newest release on its track.",
        )
        for environment in environments.values()
    ]

    @multi_asset_check(specs=specs, can_subset=True, name="neo4j_ami_freshness")
    def ami_freshness(
        context: AssetCheckExecutionContext,
        terraform: TerraformResource,
        aws: AwsResource,
        neo4j_packages: Neo4jPackageIndex,
    ):
        if in_deploy_run(context):
            return
        packages, index_error = None, None
        try:
            packages = neo4j_packages.versions()
        except (RepositoryError, PackageIndexError) as error:
            index_error = str(error)
        for environment in environments.values():
            if check_key(environment) in context.selected_asset_check_keys:
                yield evaluate_environment(
                    environment, terraform, aws, neo4j_packages, packages, index_error, context.instance
                )

    return ami_freshness
