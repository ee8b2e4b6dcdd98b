"""The Neo4j release sensor, tick by tick, against a real HTTP server serving `Packages` with ETags."""

from __future__ import annotations

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
from credex_orchestration.triggers.neo4j_release import ReleaseCursor, build_sensor
from credex_orchestration.triggers.resources import Neo4jPackageIndex

from .support.package_server import PackageServer, packages_index


class Ticks:
    def __init__(self, environments, index: Neo4jPackageIndex) -> None:
        self.sensor, _ = build_sensor(environments)
        self.instance = DagsterInstance.ephemeral()
        self.index = index
        self.cursor: str | None = None

    def tick(self):
        with build_sensor_context(
            instance=self.instance, cursor=self.cursor, resources={"neo4j_packages": self.index}
        ) as context:
            result = self.sensor(context)
        if isinstance(result, SensorResult) and result.cursor is not None:
            self.cursor = result.cursor
        return result

    @property
    def versions(self) -> dict[str, str]:
        return ReleaseCursor.load(self.cursor).versions


def test_new_releases_on_the_track_request_ami_builds(environments) -> None:
    body = packages_index(
        ("neo4j", "1:5.26.10"),
        ("neo4j", "1:5.26.11"),
        ("neo4j-enterprise", "1:5.26.11"),
        ("neo4j", "1:2025.01.0"),  # calendar line: not on the 5.26 track
    )
    with PackageServer(body) as server:
        ticks = Ticks(environments, Neo4jPackageIndex(url=server.url))
        first = ticks.tick()
        assert isinstance(first, SensorResult)
        by_key = {request.run_key: request for request in first.run_requests}
        assert set(by_key) == {"ami:community:1:5.26.11", "ami:enterprise:1:5.26.11"}
        community = by_key["ami:community:1:5.26.11"]
        assert community.job_name == "build_neo4j_ami_community"
        assert community.run_config == {"ops": {"neo4j_ami__community": {"config": {"version": "1:5.26.11"}}}}
        assert community.tags["credex/neo4j-version"] == "1:5.26.11"
        assert ticks.versions == {"community": "1:5.26.11", "enterprise": "1:5.26.11"}

        # Unchanged index: one conditional GET, answered 304, no body, no request, cursor kept.
        cursor = ticks.cursor
        unchanged = ticks.tick()
        assert isinstance(unchanged, SkipReason) and "304" in unchanged.skip_message
        assert server.not_modified == 1 and ticks.cursor == cursor

        # A pre-release and a new calendar version: still nothing on the 5.26 track.
        server.body = body + "\n" + packages_index(("neo4j", "1:5.26.12~rc1"), ("neo4j", "1:2025.02.0"))
        quiet = ticks.tick()
        assert not quiet.run_requests and "already seen" in quiet.skip_reason.skip_message
        # A patch release of the community edition only.
        server.body = body + "\n" + packages_index(("neo4j", "1:5.26.12"))
        (request,) = ticks.tick().run_requests
        assert request.run_key == "ami:community:1:5.26.12"
        assert ticks.versions == {"community": "1:5.26.12", "enterprise": "1:5.26.11"}


def test_calendar_track_follows_calendar_versions(environments) -> None:
    body = packages_index(("neo4j", "1:5.26.11"), ("neo4j", "1:2025.01.0"), ("neo4j", "1:2025.03.1"))
    with PackageServer(body) as server:
        index = Neo4jPackageIndex(url=server.url, community_track="calendar", enterprise_track="2025.01")
        result = Ticks(environments, index).tick()
        keys = sorted(request.run_key for request in result.run_requests)
        assert keys == ["ami:community:1:2025.03.1"]


def test_requests_fit_the_build_jobs_and_a_current_ami_is_not_rebuilt(environments) -> None:
    defs = build_definitions(environments)
    with PackageServer(packages_index(("neo4j", "1:5.26.11"), ("neo4j-enterprise", "1:5.26.11"))) as server:
        probe = Ticks(environments, Neo4jPackageIndex(url=server.url))
        for request in probe.tick().run_requests:  # the run config validates against the real job
            validate_run_config(defs.resolve_job_def(request.job_name), request.run_config)

        ticks = Ticks(environments, Neo4jPackageIndex(url=server.url))
        # The AMI builder records the version it installed (metadata `neo4j_version`, epoch omitted).
        ticks.instance.report_runless_asset_event(
            AssetMaterialization(
                asset_key=AssetKey(["neo4j_ami", "community"]),
                metadata={"ami_id": "ami-0123456789abcdef0", "neo4j_version": "5.26.11"},
            )
        )
        result = ticks.tick()
        assert [request.run_key for request in result.run_requests] == ["ami:enterprise:1:5.26.11"]
        assert ticks.versions["community"] == "1:5.26.11"


def test_bad_index_skips_with_the_reason_and_keeps_the_cursor(environments, tmp_path) -> None:
    with PackageServer(packages_index(("neo4j", "1:5.26.11"), ("neo4j-enterprise", "1:5.26.11"))) as server:
        ticks = Ticks(environments, Neo4jPackageIndex(url=server.url))
        ticks.tick()
        cursor = ticks.cursor
        server.body = "Package: neo4j\nVersion: 1:5.26.12\nnot a field line\n"
        malformed = ticks.tick()
        assert (
            isinstance(malformed, SkipReason) and "line 3: expected 'Field: value'" in malformed.skip_message
        )
        server.body = "Package: neo4j\nVersion: latest\n"
        unparsable = ticks.tick()
        assert (
            isinstance(unparsable, SkipReason)
            and "'latest' is not a Debian version" in unparsable.skip_message
        )
        server.status = 500
        failing = ticks.tick()
        assert isinstance(failing, SkipReason) and "HTTP 500" in failing.skip_message
        assert ticks.cursor == cursor
    unreachable = ticks.tick()
    assert isinstance(unreachable, SkipReason) and "unreachable" in unreachable.skip_message
    assert ticks.cursor == cursor
