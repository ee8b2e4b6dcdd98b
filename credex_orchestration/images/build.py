"""The Neo4j AMI builder: validate, launch a builder, wait for its signal, image it, always clean up.

Every instance it launches carries `Purpose` and `DagsterRunId` tags and an idempotency token, and cleanup
terminates by those tags, so an instance is terminated in every outcome (success, failure, timeout,
cancelled run) even when the launch call itself was interrupted.
"""

import contextlib
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from ..environments import EDITIONS
from .repository import PACKAGES, VERSION, RepositoryError, available_versions
from .settings import BuildSettings
from .user_data import builder_user_data, smoke_user_data

BUILT_BY = "credex-orchestration"
BUILDER_PURPOSE = "neo4j-ami-builder"
SMOKE_PURPOSE = "neo4j-ami-smoke-test"
LIVE_STATES = ("pending", "running", "stopping", "stopped")
_URL = re.compile(r"^https?://[^\s'\"]+$")

LogFn = Callable[[str], None]


class BadBuildRequest(ValueError):
    """The request names an edition, version or base image that cannot be built; nothing was launched."""


class ImageBuildError(RuntimeError):
    """The build failed after launching; the builder instance has been terminated."""


class BuilderTimeout(ImageBuildError):
    """An instance did not signal within its timeout."""


@dataclass(frozen=True)
class BuildResult:
    ami_id: str
    image_name: str
    version: str
    edition: str
    source_ami: str
    build_duration_seconds: float
    builder_instance_id: str
    snapshot_ids: tuple[str, ...]


@dataclass(frozen=True)
class SmokeResult:
    passed: bool
    detail: str
    instance_id: str | None
    reported_version: str | None = None
    reported_edition: str | None = None


def signal_parameter(settings: BuildSettings, run_id: str, purpose: str) -> str:
    return f"{settings.signal_prefix.rstrip('/')}/{run_id}/{purpose}"


def live_instances(ec2: Any, purpose: str, run_id: str | None = None) -> list[str]:
    """Ids of not-terminated instances launched for `purpose` (and run), found by their tags."""
    filters = [
        {"Name": "tag:Purpose", "Values": [purpose]},
        {"Name": "instance-state-name", "Values": list(LIVE_STATES)},
    ]
    if run_id:
        filters.append({"Name": "tag:DagsterRunId", "Values": [run_id]})
    pages = ec2.get_paginator("describe_instances").paginate(Filters=filters)
    return [i["InstanceId"] for page in pages for r in page["Reservations"] for i in r["Instances"]]


class AmiBuilder:
    """Builds and smoke-tests Neo4j AMIs in one region with the given EC2 and SSM clients."""

    def __init__(
        self,
        ec2: Any,
        ssm: Any,
        settings: BuildSettings,
        *,
        log: LogFn = print,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ec2, self.ssm, self.settings = ec2, ssm, settings
        self.log, self.sleep, self.clock = log, sleep, clock
        self.region = ec2.meta.region_name

    # ----- validation (before anything is launched) ------------------------------------------------------
    def validate(self, edition: str, version: str) -> None:
        if edition not in EDITIONS:
            raise BadBuildRequest(f"unknown Neo4j edition {edition!r} (one of: {', '.join(EDITIONS)})")
        if not VERSION.match(version or ""):
            raise BadBuildRequest(
                f"Neo4j version {version!r} is not a release version like 5.26.12 or 2025.10.1"
            )
        url = self.settings.repository_url
        if not _URL.match(url):
            raise BadBuildRequest(f"repository_url {url!r} is not an http(s) URL")
        try:
            versions = available_versions(url, PACKAGES[edition])
        except RepositoryError as error:
            raise BadBuildRequest(str(error)) from None
        if version not in versions:
            newest = ", ".join(sorted(versions, key=_version_key)[-5:]) or "none"
            raise BadBuildRequest(
                f"Neo4j {edition} {version} is not in the package repository {url} "
                f"(package {PACKAGES[edition]}; newest there: {newest})"
            )

    def resolve_base_image(self) -> str:
        """The AL2023 AMI id behind the public SSM parameter, checked to exist in this region."""
        name = self.settings.base_image_parameter
        try:
            ami = self.ssm.get_parameter(Name=name)["Parameter"]["Value"]
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            raise BadBuildRequest(
                f"base-image parameter {name} does not resolve in {self.region} ({code})"
            ) from None
        try:
            images = self.ec2.describe_images(ImageIds=[ami])["Images"]
        except ClientError:
            images = []
        if not images or images[0].get("State") != "available":
            raise BadBuildRequest(f"base image {ami} (from {name}) is not available in region {self.region}")
        return ami

    # ----- build -----------------------------------------------------------------------------------------
    def build(self, edition: str, version: str, run_id: str) -> BuildResult:
        """Build `neo4j-<edition>-<version>-<UTC timestamp>`; the builder is terminated in every outcome."""
        started = self.clock()
        self.validate(edition, version)
        source = self.resolve_base_image()
        parameter = signal_parameter(self.settings, run_id, "build")
        self._clear(parameter)
        user_data = builder_user_data(
            edition=edition,
            version=version,
            repository_url=self.settings.repository_url,
            gpg_key_url=self.settings.gpg_key_url,
            region=self.region,
            parameter=parameter,
        )
        tags = {
            "Name": f"neo4j-ami-builder-{edition}-{version}",
            "Neo4jVersion": version,
            "Neo4jEdition": edition,
        }
        instance_id = ""
        try:
            instance_id = self._launch(source, user_data, BUILDER_PURPOSE, run_id, tags, parameter)
            signal = self._wait_for_signal(
                instance_id, parameter, self.settings.build_timeout_seconds, "builder"
            )
            if signal.get("status") != "success":
                raise ImageBuildError(
                    f"builder {instance_id} signalled failure at stage {signal.get('stage', '?')!r} "
                    f"installing Neo4j {edition} {version}"
                )
            if signal.get("version") != version:
                raise ImageBuildError(
                    f"builder {instance_id} installed Neo4j {signal.get('version')!r}, not {version}"
                )
            self._stop(instance_id)
            name = f"neo4j-{edition}-{version}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
            image_tags = {
                "Name": name,
                "Neo4jVersion": version,
                "Neo4jEdition": edition,
                "SourceAmi": source,
                "BuiltBy": BUILT_BY,
                "DagsterRunId": run_id,
                **self.settings.extra_tags,
            }
            ami_id, snapshots = self._create_image(instance_id, name, image_tags)
        finally:
            self.terminate(BUILDER_PURPOSE, run_id)
            self._clear(parameter)
        duration = round(self.clock() - started, 1)
        self.log(f"built {ami_id} ({name}) from {source} in {duration}s")
        return BuildResult(ami_id, name, version, edition, source, duration, instance_id, snapshots)

    def _launch(
        self, ami: str, user_data: str, purpose: str, run_id: str, tags: dict[str, str], parameter: str
    ) -> str:
        all_tags = {
            **tags,
            "Purpose": purpose,
            "DagsterRunId": run_id,
            "BuiltBy": BUILT_BY,
            "SignalParameter": parameter,
        }
        request: dict[str, Any] = {
            "ImageId": ami,
            "InstanceType": self.settings.instance_type,
            "MinCount": 1,
            "MaxCount": 1,
            "UserData": user_data,
            # Per launch, so botocore's retries of this call never start a second instance.
            "ClientToken": f"{purpose}-{uuid.uuid4().hex}",
            "InstanceInitiatedShutdownBehavior": "terminate",
            "MetadataOptions": {"HttpTokens": "required"},
            "TagSpecifications": [
                {"ResourceType": kind, "Tags": [{"Key": k, "Value": v} for k, v in all_tags.items()]}
                for kind in ("instance", "volume")
            ],
        }
        if self.settings.subnet_id:
            request["SubnetId"] = self.settings.subnet_id
        if self.settings.security_group_ids:
            request["SecurityGroupIds"] = list(self.settings.security_group_ids)
        if self.settings.instance_profile:
            request["IamInstanceProfile"] = {"Name": self.settings.instance_profile}
        instance_id = self.ec2.run_instances(**request)["Instances"][0]["InstanceId"]
        self.log(f"launched {purpose} {instance_id} from {ami}")
        return instance_id

    def _state(self, instance_id: str) -> str:
        reservations = self.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
        return reservations[0]["Instances"][0]["State"]["Name"] if reservations else "missing"

    def _read_signal(self, parameter: str) -> dict[str, Any] | None:
        try:
            value = self.ssm.get_parameter(Name=parameter)["Parameter"]["Value"]
        except self.ssm.exceptions.ParameterNotFound:
            return None
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return {"status": "failed", "stage": f"unreadable signal {value[:80]!r}"}

    def _clear(self, parameter: str) -> None:
        with contextlib.suppress(self.ssm.exceptions.ParameterNotFound):
            self.ssm.delete_parameter(Name=parameter)

    def _wait_for_signal(self, instance_id: str, parameter: str, timeout: float, what: str) -> dict[str, Any]:
        """Poll the signal parameter, logging elapsed time and instance state, up to `timeout`."""
        started = self.clock()
        while True:
            signal = self._read_signal(parameter)
            if signal is not None:
                return signal
            state = self._state(instance_id)
            elapsed = self.clock() - started
            if state in ("shutting-down", "terminated", "missing"):
                raise ImageBuildError(
                    f"{what} {instance_id} is {state} before it signalled (after {elapsed:.0f}s)"
                )
            if elapsed >= timeout:
                raise BuilderTimeout(
                    f"{what} {instance_id} did not signal within {timeout:.0f}s (state {state}); "
                    f"see its console output; it has been terminated"
                )
            self.log(f"waiting for {what} {instance_id}: {elapsed:.0f}s of {timeout:.0f}s, state {state}")
            self.sleep(self.settings.poll_interval_seconds)

    def _stop(self, instance_id: str) -> None:
        self.ec2.stop_instances(InstanceIds=[instance_id])
        started = self.clock()
        while (state := self._state(instance_id)) != "stopped":
            if self.clock() - started >= self.settings.build_timeout_seconds:
                raise BuilderTimeout(f"builder {instance_id} did not stop (state {state})")
            self.sleep(self.settings.poll_interval_seconds)

    def _create_image(self, instance_id: str, name: str, tags: dict[str, str]) -> tuple[str, tuple[str, ...]]:
        image_tags = [{"Key": k, "Value": v} for k, v in tags.items()]
        ami_id = self.ec2.create_image(
            InstanceId=instance_id,
            Name=name,
            Description=f"Neo4j {tags['Neo4jEdition']} {tags['Neo4jVersion']} on Amazon Linux 2023",
            TagSpecifications=[{"ResourceType": "image", "Tags": image_tags}],
        )["ImageId"]
        self.log(f"creating image {ami_id} ({name})")
        try:
            image = self._wait_for_image(ami_id)
        except BaseException:
            self.delete_image(ami_id)
            raise
        snapshots = tuple(
            m["Ebs"]["SnapshotId"]
            for m in image.get("BlockDeviceMappings", [])
            if m.get("Ebs", {}).get("SnapshotId")
        )
        if snapshots:
            self.ec2.create_tags(Resources=list(snapshots), Tags=image_tags)
        return ami_id, snapshots

    def _wait_for_image(self, ami_id: str) -> dict[str, Any]:
        started = self.clock()
        while True:
            images = self.ec2.describe_images(ImageIds=[ami_id])["Images"]
            state = images[0]["State"] if images else "missing"
            elapsed = self.clock() - started
            if state == "available":
                return images[0]
            if state in ("failed", "invalid", "error", "deregistered", "missing"):
                reason = (images[0].get("StateReason") or {}).get("Message", "") if images else ""
                raise ImageBuildError(f"image {ami_id} is {state}{f': {reason}' if reason else ''}")
            if elapsed >= self.settings.image_timeout_seconds:
                raise BuilderTimeout(f"image {ami_id} not available after {elapsed:.0f}s (state {state})")
            self.log(f"waiting for image {ami_id}: {elapsed:.0f}s, state {state}")
            self.sleep(self.settings.poll_interval_seconds)

    def delete_image(self, ami_id: str) -> None:
        """Deregister an image and delete its snapshots (a failed or cancelled image)."""
        images = self.ec2.describe_images(ImageIds=[ami_id])["Images"]
        snapshots = [
            m["Ebs"]["SnapshotId"]
            for image in images
            for m in image.get("BlockDeviceMappings", [])
            if m.get("Ebs", {}).get("SnapshotId")
        ]
        self.ec2.deregister_image(ImageId=ami_id)
        for snapshot in snapshots:
            self.ec2.delete_snapshot(SnapshotId=snapshot)
        self.log(f"deleted image {ami_id} and snapshots {snapshots}")

    def terminate(self, purpose: str, run_id: str) -> list[str]:
        """Terminate every live instance of this run and purpose (by tag, not by remembered id)."""
        ids = live_instances(self.ec2, purpose, run_id)
        if ids:
            self.ec2.terminate_instances(InstanceIds=ids)
            self.log(f"terminated {purpose} instance(s) {', '.join(ids)}")
        return ids

    # ----- smoke test ------------------------------------------------------------------------------------
    def smoke_test(self, ami_id: str, edition: str, version: str, run_id: str) -> SmokeResult:
        """Run one instance of the AMI; pass when Neo4j reports the expected version and edition.

        The AMI is tagged Status=passed or Status=failed; the instance is terminated in every outcome.
        """
        parameter = signal_parameter(self.settings, run_id, "smoke")
        self._clear(parameter)
        result: SmokeResult | None = None
        try:
            instance_id = self._launch(
                ami_id,
                smoke_user_data(region=self.region, parameter=parameter),
                SMOKE_PURPOSE,
                run_id,
                {"Name": f"neo4j-ami-smoke-test-{edition}-{version}", "Neo4jAmi": ami_id},
                parameter,
            )
            try:
                signal = self._wait_for_signal(
                    instance_id, parameter, self.settings.smoke_timeout_seconds, "smoke test"
                )
            except ImageBuildError as error:
                result = SmokeResult(False, str(error), instance_id)
                return result
            reported = (signal.get("version"), (signal.get("edition") or "").lower())
            passed = False
            if signal.get("status") != "success":
                detail = f"Neo4j did not come up on {instance_id} (stage {signal.get('stage', '?')!r})"
            elif reported != (version, edition):
                detail = (
                    f"Neo4j reports {reported[1] or '?'} {reported[0] or '?'}, expected {edition} {version}"
                )
            else:
                passed, detail = True, f"Neo4j {edition} {version} up on {instance_id}"
            result = SmokeResult(passed, detail, instance_id, *reported)
            return result
        finally:
            self.terminate(SMOKE_PURPOSE, run_id)
            self._clear(parameter)
            status = "passed" if result is not None and result.passed else "failed"
            try:
                self.ec2.create_tags(Resources=[ami_id], Tags=[{"Key": "Status", "Value": status}])
            except ClientError as error:  # never mask the smoke test's own outcome or error
                self.log(f"could not tag {ami_id} Status={status}: {error}")
            self.log(f"smoke test of {ami_id}: {status}")


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))
