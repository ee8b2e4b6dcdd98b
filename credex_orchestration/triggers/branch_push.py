"""Branch-push sensors: a new SHA on an environment's branch deploys the components it affects.

One sensor per environment (`branch_push_<env>`, targeting `deploy_<env>`), so each environment can be
paused on its own and has its own cursor (docs/decisions/0030-branch-push-sensor.md). A tick costs one
`git ls-remote` when nothing changed. A new SHA is fetched into a local cache, diffed against the SHA last
deployed, and deployed only once its image is in the environment's ECR repository. Anything the sensor
cannot verify (remote, branch, history, image) is a skip with the reason, and the cursor stays.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, time

from botocore.exceptions import BotoCoreError, ClientError
from dagster import (
    AssetObservation,
    DagsterInstance,
    DagsterRunStatus,
    RunRequest,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from .. import naming
from ..deploy.config import deploy_run_config
from ..environments import COMPONENTS, Environment, Environments
from ..lib.git import GitCache, GitError, redact_url
from ..naming import BRANCH_PUSH_TRIGGER as BRANCH_PUSH
from ..naming import BRANCH_TAG, SHA_TAG, TRIGGER_TAG
from ..resources import AwsResource
from .paths import ComponentPathsError
from .resources import CredexCoreRepository

MINIMUM_INTERVAL_SECONDS = 60


@dataclass
class BranchCursor:
    """What the sensor last handled on its branch: `seen` = tip handled, `requested` = last SHA deployed."""

    seen: str | None = None
    requested: str | None = None

    @classmethod
    def load(cls, raw: str | None) -> BranchCursor:
        if not raw:
            return cls()
        try:
            data = json.loads(raw)
            return cls(seen=data.get("seen"), requested=data.get("requested"))
        except (ValueError, AttributeError):
            return cls()  # an unreadable cursor is a first tick, never a deploy of everything

    def dump(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def sensor_name(environment: Environment) -> str:
    return naming.branch_push_sensor(environment.name)


def last_deployed_sha(instance: DagsterInstance, environment: Environment) -> tuple[str | None, str]:
    """The SHA last deployed: the newest successful deploy run's SHA tag; when that run was started by
    hand (no SHA tag), the app's image tag, which is older or equal, so the diff only grows."""
    runs = instance.get_runs(
        RunsFilter(job_name=naming.deploy_job(environment.name), statuses=[DagsterRunStatus.SUCCESS]), limit=1
    )
    if runs and runs[0].tags.get(SHA_TAG):
        return runs[0].tags[SHA_TAG], f"run {runs[0].run_id}"
    event = instance.get_latest_materialization_event(naming.component_key(environment.name, "app"))
    metadata = event.asset_materialization.metadata if event and event.asset_materialization else {}
    outputs = metadata.get("outputs")
    tag = outputs.value.get("image_tag") if outputs is not None and isinstance(outputs.value, dict) else None
    return (str(tag), f"{environment.name}/app image tag") if tag else (None, "")


def image_exists(aws: AwsResource, environment: Environment, sha: str) -> tuple[bool, str]:
    """Whether ECR holds an image tagged `sha`; the reason says why not."""
    repository = naming.ecr_repository(environment)
    try:
        aws.session(environment).client("ecr").describe_images(
            repositoryName=repository, imageIds=[{"imageTag": sha}]
        )
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code == "ImageNotFoundException":
            return False, f"no image tagged {sha} in ECR repository {repository} yet"
        return False, f"ECR repository {repository}: {code or error}"
    except BotoCoreError as error:
        return False, f"ECR repository {repository} unreachable: {error}"
    return True, ""


def affected_components(
    cache: GitCache, repository: CredexCoreRepository, base: str | None, tip: str
) -> tuple[list[str], list[str], str]:
    """(components, changed paths, how it was decided); every component when `base` is not in tip's history."""
    resolved = cache.resolve(base) if base else None
    if resolved is None:
        return (
            list(COMPONENTS),
            [],
            f"last deployed SHA {base} is not in the fetched history: every component",
        )
    if not cache.is_ancestor(resolved, tip):
        return (
            list(COMPONENTS),
            [],
            f"last deployed SHA {base} is not an ancestor of {tip} (force-push): every component",
        )
    if resolved == tip:
        return [], [], f"{tip[:12]} is already deployed"
    changed = cache.changed_paths(resolved, tip)
    return repository.paths().affected(changed), changed, f"diff {resolved[:12]}..{tip[:12]}"


def quiet_window(environment: Environment, now: datetime) -> str | None:
    """The environment's quiet window (UTC) that `now` falls in, if any; windows may wrap midnight."""
    moment = now.astimezone(UTC).time()
    for window in environment.triggers.quiet_windows_utc:
        start, end = (time.fromisoformat(part) for part in window.split("-"))
        inside = start <= moment < end if start <= end else (moment >= start or moment < end)
        if inside:
            return window
    return None


def evaluate(
    context: SensorEvaluationContext,
    environment: Environment,
    repository: CredexCoreRepository,
    aws: AwsResource,
    now: datetime | None = None,
) -> SensorResult | SkipReason:
    branch = environment.branch
    cursor = BranchCursor.load(context.cursor)
    window = quiet_window(environment, now or datetime.now(UTC)) if environment.auto_deploy else None
    if window:
        return SkipReason(f"quiet window {window} UTC (credex-core's DCO runs at 00:00 UTC): deploys wait")
    if not repository.url:
        return SkipReason("no credex-core repository configured: set CREDEX_CORE_REPOSITORY (URL or path)")
    try:
        tips = repository.tips([branch])
    except GitError as error:
        return SkipReason(f"cannot read branch {branch!r}: {error}")
    tip = tips.get(branch)
    if tip is None:
        return SkipReason(f"branch {branch!r} not found on {redact_url(repository.url)}: nothing deployed")
    if tip == cursor.seen:
        return SkipReason(f"no new commit on {branch!r} (at {tip[:12]})")

    base, base_source = last_deployed_sha(context.instance, environment)
    if base is None and cursor.seen:
        base, base_source = cursor.seen, "previous tip of the branch"
    if base is None:
        next_cursor = BranchCursor(seen=tip, requested=cursor.requested)
        return SensorResult(
            skip_reason=f"first sight of {branch!r} at {tip[:12]} and no deploy of {environment.name} on record: "
            f"recorded as the baseline; deploy {environment.name} by hand once",
            cursor=next_cursor.dump(),
        )
    try:
        with repository.cache().locked() as cache:
            fetched = cache.fetch_branch(branch)
            if fetched != tip:
                return SkipReason(
                    f"branch {branch!r} moved while fetching ({tip[:12]} -> {fetched[:12]}): next tick"
                )
            components, changed, how = affected_components(cache, repository, base, tip)
    except GitError as error:
        return SkipReason(f"cannot fetch {branch!r} at {tip[:12]}: {error}")
    except ComponentPathsError as error:
        return SkipReason(f"bad component path configuration: {error}")
    context.log.info(f"{branch} {tip[:12]} vs {base} ({base_source}): {how}; {len(changed)} path(s) changed")

    if not components:
        next_cursor = BranchCursor(seen=tip, requested=cursor.requested)
        return SensorResult(
            skip_reason=f"{branch} {tip[:12]} touches no component ({how}: {len(changed)} path(s) changed, "
            f"e.g. {', '.join(changed[:3]) or 'none'}): nothing to deploy",
            cursor=next_cursor.dump(),
        )
    keys = [naming.component_key(environment.name, component) for component in components]
    if not environment.auto_deploy:
        observations = [
            AssetObservation(
                asset_key=key,
                metadata={"waiting_sha": tip, "branch": branch, "changed_paths": len(changed)},
                description=f"{branch} {tip[:12]} waits for a deploy by hand",
            )
            for key in keys
        ]
        return SensorResult(
            skip_reason=f"{environment.name} deploys by hand: {branch} {tip[:12]} waits "
            f"({', '.join(components)})",
            cursor=BranchCursor(seen=tip, requested=cursor.requested).dump(),
            asset_events=observations,
        )
    if "app" in components:
        ready, why = image_exists(aws, environment, tip)
        if not ready:
            return SkipReason(f"waiting for the image of {branch} {tip[:12]}: {why}")

    request = RunRequest(
        run_key=f"{environment.name}:{tip}",
        job_name=naming.deploy_job(environment.name),
        asset_selection=keys,
        run_config=deploy_run_config(
            environment,
            components,
            git_sha=tip,
            use_existing_resources=True,
            confirm_environment=environment.name if environment.protected else "",
        ),
        tags={
            naming.ENVIRONMENT_TAG: environment.name,
            BRANCH_TAG: branch,
            SHA_TAG: tip,
            TRIGGER_TAG: BRANCH_PUSH,
        },
    )
    return SensorResult(run_requests=[request], cursor=BranchCursor(seen=tip, requested=tip).dump())


def build_sensor(environment: Environment) -> SensorDefinition:
    @sensor(
        name=sensor_name(environment),
        job_name=naming.deploy_job(environment.name),
        minimum_interval_seconds=MINIMUM_INTERVAL_SECONDS,
        description=(
            f"Deploys {environment.name} when {environment.branch!r} gets a new commit, only the affected "
            "components, once the commit's image is in ECR."
            if environment.auto_deploy
            else f"Records new commits on {environment.branch!r}: {environment.name} is deployed by hand."
        ),
    )
    def branch_push(
        context: SensorEvaluationContext, credex_core: CredexCoreRepository, aws: AwsResource
    ) -> SensorResult | SkipReason:
        return evaluate(context, environment, credex_core, aws)

    return branch_push


def build_sensors(environments: Environments) -> list[SensorDefinition]:
    return [build_sensor(environment) for environment in environments.values()]
