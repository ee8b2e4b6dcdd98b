"""The Neo4j release sensor, tick by tick, against a real HTTP server serving an RPM repository's metadata
(the repository the AMI build installs from), through to the build's own validation of the request."""

from __future__ import annotations

import boto3
from dagster import (
    AssetKey,
    AssetMaterialization,
    DagsterInstance,
    SensorResult,
    SkipReason,
    build_sensor_context,
    validate_run_config,
)

from credex_orchestration.definitions import build_definitions
from credex_orchestration.images.build import AmiBuilder
from credex_orchestration.images.settings import BuildSettings, Neo4jImagesResource
from credex_orchestration.triggers.neo4j_release import ReleaseCursor, build_sensor
from credex_orchestration.triggers.resources import Neo4jPackageIndex

from .support.neo4j_images import base_image
from .support.package_server import RpmRepositoryServer


class Ticks:
    def __init__(self, environments, index: Neo4jPackageIndex) -> None:
        self.sensor, _ = build_sensor(environments)
        self.instance = DagsterInstance.ephemeral()
        self.resources = {
            "neo4j_packages": index,
            "neo4j_images": Neo4jImagesResource(repository_url=index.url),
        }
        self.cursor: str | None = None

    def tick(self):
        with build_sensor_context(
            instance=self.instance, cursor=self.cursor, resources=self.resources
        ) as context:
            result = self.sensor(context)
        if isinstance(result, SensorResult) and result.cursor is not None:
            self.cursor = result.cursor
        return result

    @property
    def versions(self) -> dict[str, str]:
        return ReleaseCursor.load(self.cursor).versions


def skip(result) -> str:
    if isinstance(result, SkipReason):
        return result.skip_message or ""
    assert not result.run_requests, result.run_requests
    return result.skip_reason.skip_message


def test_a_new_release_in_the_rpm_metadata_reaches_the_build_validation(environments, aws_endpoint) -> None:
    """The one format on both sides: the version the sensor requests is one the builder accepts and finds."""
    defs = build_definitions(environments)
    ec2 = boto3.client("ec2", region_name="af-south-1", endpoint_url=aws_endpoint)
    ssm = boto3.client("ssm", region_name="af-south-1", endpoint_url=aws_endpoint)
    base_image(aws_endpoint)
    packages = {
        "neo4j": ["5.26.10", "5.26.11", "2025.01.0"],
        "neo4j-enterprise": ["5.26.11"],
        "cypher-shell": ["5.26.11"],
    }
    with RpmRepositoryServer(packages) as server:
        ticks = Ticks(environments, Neo4jPackageIndex(url=server.url))
        builder = AmiBuilder(
            ec2,
            ssm,
            BuildSettings(base_image_parameter="/test/al2023", repository_url=server.url),
            log=lambda _: None,
        )
        first = ticks.tick()
        by_key = {request.run_key: request for request in first.run_requests}
        assert set(by_key) == {"ami:community:5.26.11", "ami:enterprise:5.26.11"}
        for request in first.run_requests:
            validate_run_config(defs.resolve_job_def(request.job_name), request.run_config)
        community = by_key["ami:community:5.26.11"]
        assert community.run_config == {"ops": {"neo4j_ami__community": {"config": {"version": "5.26.11"}}}}
        builder.validate(
            "community", community.run_config["ops"]["neo4j_ami__community"]["config"]["version"]
        )

        # Unchanged repository: one conditional GET of repomd.xml, answered 304; no primary download.
        primaries = server.primary_requests
        assert "304 Not Modified" in skip(ticks.tick()) and server.not_modified == 1
        assert server.primary_requests == primaries

        # Neo4j publishes 5.26.12 (and a calendar version, off the 5.26 track): one request, and the build
        # validation accepts exactly what was requested.
        server.packages["neo4j"] += ["5.26.12", "2025.02.0"]
        (request,) = ticks.tick().run_requests
        version = request.run_config["ops"]["neo4j_ami__community"]["config"]["version"]
        assert request.run_key == "ami:community:5.26.12" and version == "5.26.12"
        builder.validate("community", version)
        assert ticks.versions == {"community": "5.26.12", "enterprise": "5.26.11"}
    assert "unreachable" in skip(ticks.tick())


def test_calendar_track_and_a_recorded_build_are_respected(environments) -> None:
    packages = {"neo4j": ["5.26.11", "2025.01.0", "2025.03.1"], "neo4j-enterprise": ["5.26.11"]}
    with RpmRepositoryServer(packages) as server:
        index = Neo4jPackageIndex(url=server.url, community_track="calendar", enterprise_track="2025.01")
        assert [r.run_key for r in Ticks(environments, index).tick().run_requests] == [
            "ami:community:2025.03.1"
        ]

        ticks = Ticks(environments, Neo4jPackageIndex(url=server.url))
        ticks.instance.report_runless_asset_event(
            AssetMaterialization(
                asset_key=AssetKey(["neo4j_ami", "community"]),
                metadata={"ami_id": "ami-0123456789abcdef0", "version": "5.26.11"},
            )
        )
        assert [r.run_key for r in ticks.tick().run_requests] == ["ami:enterprise:5.26.11"]


def test_a_bad_repository_skips_with_the_reason_and_keeps_the_cursor(environments) -> None:
    with RpmRepositoryServer({"neo4j": ["5.26.11"], "neo4j-enterprise": ["5.26.11"]}) as server:
        ticks = Ticks(environments, Neo4jPackageIndex(url=server.url))
        ticks.tick()
        cursor = ticks.cursor
        server.raw_primary = b"<metadata><package><name>neo4j</name></package></metadata>"
        assert "package #1 has no <name> or <version ver=...>" in skip(ticks.tick())
        server.raw_primary = b"<metadata"
        assert "not valid XML" in skip(ticks.tick())
        server.status = 500
        assert "HTTP 500" in skip(ticks.tick())
        assert ticks.cursor == cursor


def test_the_sensor_refuses_to_watch_another_repository_than_the_build_installs_from(environments) -> None:
    with RpmRepositoryServer({"neo4j": ["5.26.11"]}) as server:
        ticks = Ticks(environments, Neo4jPackageIndex(url=server.url))
        ticks.resources["neo4j_images"] = Neo4jImagesResource(repository_url="https://yum.neo4j.com/stable/5")
        result = ticks.tick()
        assert (
            isinstance(result, SkipReason)
            and "point neo4j_packages.url and neo4j_images.repository_url" in result.skip_message
        )
        assert server.repomd_requests == 0
