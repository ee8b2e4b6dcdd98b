"""Neo4j release sensor: a newer version on an edition's track requests a build of `neo4j_ami/<edition>`.

The RPM repository the AMI installs from (Amazon Linux 2023, `neo4j_images.repository_url`) is the source of
truth, read through the same parser as the build's validation; the requested `version` is rpm's `ver`
(5.26.12), the one format on both sides. A tick is one conditional GET of `repomd.xml`: unchanged, it
answers 304; a new repomd whose primary checksum is the one already read costs no primary download. A
malformed index is a skip with the reason: the cursor stays, nothing is built
(docs/decisions/0125-neo4j-releases-from-the-rpm-repository.md).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from dagster import (
    AssetSelection,
    DagsterInstance,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    define_asset_job,
    in_process_executor,
    sensor,
)

from .. import naming
from ..environments import EDITIONS, Environments
from ..images.repository import VERSION
from ..images.settings import Neo4jImagesResource
from ..lib.package_index import PackageIndexError, newest
from ..lib.rpm_repository import RepositoryError, RpmVersion
from ..naming import TRIGGER_TAG
from .resources import Neo4jPackageIndex

SENSOR_NAME = "neo4j_release"
VERSION_TAG = naming.NEO4J_VERSION_TAG
EDITION_TAG = naming.EDITION_TAG
MINIMUM_INTERVAL_SECONDS = 3600


@dataclass
class ReleaseCursor:
    """Validators of the last index body read, and the last version acted on per edition."""

    etag: str | None = None
    last_modified: str | None = None
    versions: dict[str, str] = field(default_factory=dict)
    primary_checksum: str | None = None

    @classmethod
    def load(cls, raw: str | None) -> ReleaseCursor:
        if not raw:
            return cls()
        try:
            data = json.loads(raw)
            return cls(
                data.get("etag"),
                data.get("last_modified"),
                dict(data.get("versions") or {}),
                data.get("primary_checksum"),
            )
        except (ValueError, AttributeError, TypeError):
            return cls()

    def dump(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def build_job_name(edition: str) -> str:
    return naming.ami_build_job(edition)


def ami_build_job(edition: str):
    return define_asset_job(
        name=build_job_name(edition),
        selection=AssetSelection.assets(naming.ami_key(edition)),
        executor_def=in_process_executor,
        tags={EDITION_TAG: edition, naming.KIND_TAG: "ami-build"},
        description=f"Build the Neo4j {edition} AMI (requested by the neo4j_release sensor or by hand).",
    )


def editions_in_use(environments: Environments) -> list[str]:
    used = {environment.neo4j.edition for environment in environments.values()}
    return [edition for edition in EDITIONS if edition in used]


def recorded_version(instance: DagsterInstance, edition: str) -> str | None:
    """The Neo4j version of the latest `neo4j_ami/<edition>` materialisation, when it records one."""
    event = instance.get_latest_materialization_event(naming.ami_key(edition))
    metadata = event.asset_materialization.metadata if event and event.asset_materialization else {}
    for name in ("neo4j_version", "version"):
        if name in metadata and metadata[name].value:
            return str(metadata[name].value)
    return None


def same_or_newer(recorded: str | None, candidate: RpmVersion) -> bool:
    """Whether `recorded` (a version as builds record it: 5.26.12) is at least `candidate`."""
    if not recorded:
        return False
    try:
        version = RpmVersion.parse(recorded)
    except RepositoryError:
        return False
    return RpmVersion(version.version, candidate.epoch) >= RpmVersion(candidate.version, candidate.epoch)


def evaluate(
    context: SensorEvaluationContext,
    editions: list[str],
    index: Neo4jPackageIndex,
    images: Neo4jImagesResource | None = None,
) -> SensorResult | SkipReason:
    if images is not None and images.repository_url.rstrip("/") != index.url.rstrip("/"):
        return SkipReason(
            f"the release sensor reads {index.url} but AMIs install from {images.repository_url}: point "
            "neo4j_packages.url and neo4j_images.repository_url at the same repository; nothing requested"
        )
    cursor = ReleaseCursor.load(context.cursor)
    try:
        repomd = index.repomd(cursor.etag, cursor.last_modified)
    except RepositoryError as error:
        return SkipReason(f"cannot read Neo4j's RPM repository: {error}")
    if repomd is None:
        return SkipReason(f"Neo4j RPM repository unchanged (repomd.xml 304 Not Modified): {index.url}")
    if repomd.primary_checksum == cursor.primary_checksum:
        unchanged = ReleaseCursor(repomd.etag, repomd.last_modified, cursor.versions, cursor.primary_checksum)
        return SensorResult(
            skip_reason=f"Neo4j RPM repository's primary index unchanged ({repomd.primary_checksum[:12]})",
            cursor=unchanged.dump(),
        )
    try:
        packages = index.primary(repomd)
        tracks = {edition: index.track(edition) for edition in editions}
    except (RepositoryError, PackageIndexError) as error:
        return SkipReason(f"Neo4j RPM repository not usable, nothing built: {error}")

    requests, notes = [], []
    versions = dict(cursor.versions)
    for edition in editions:
        package, track = index.package(edition), tracks[edition]
        latest = newest(packages.get(package, []), track)
        if latest is None:
            notes.append(f"{edition}: no release of {package} on track {track or 'any'}")
            continue
        if not VERSION.match(str(latest)):
            notes.append(f"{edition}: {package} {latest} is not a version the AMI build takes (X.Y.Z)")
            continue
        if same_or_newer(versions.get(edition), latest):
            notes.append(f"{edition}: {latest} already seen")
            continue
        versions[edition] = str(latest)
        if same_or_newer(recorded_version(context.instance, edition), latest):
            notes.append(f"{edition}: neo4j_ami/{edition} already runs {latest}")
            continue
        requests.append(
            RunRequest(
                run_key=f"ami:{edition}:{latest}",
                job_name=build_job_name(edition),
                run_config={"ops": {f"neo4j_ami__{edition}": {"config": {"version": str(latest)}}}},
                tags={EDITION_TAG: edition, VERSION_TAG: str(latest), TRIGGER_TAG: "neo4j-release"},
            )
        )
    next_cursor = ReleaseCursor(repomd.etag, repomd.last_modified, versions, repomd.primary_checksum).dump()
    if requests:
        return SensorResult(run_requests=requests, cursor=next_cursor)
    return SensorResult(skip_reason="; ".join(notes) or "no edition to watch", cursor=next_cursor)


def build_sensor(environments: Environments) -> tuple[SensorDefinition, list]:
    editions = editions_in_use(environments)
    jobs = [ami_build_job(edition) for edition in EDITIONS]

    @sensor(
        name=SENSOR_NAME,
        jobs=jobs,
        minimum_interval_seconds=MINIMUM_INTERVAL_SECONDS,
        description="Requests a new Neo4j AMI when Neo4j's RPM repository has a newer release on the track.",
    )
    def neo4j_release(
        context: SensorEvaluationContext, neo4j_packages: Neo4jPackageIndex, neo4j_images: Neo4jImagesResource
    ):
        return evaluate(context, editions, neo4j_packages, neo4j_images)

    return neo4j_release, jobs
