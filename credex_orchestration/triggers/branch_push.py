"""Branch-push sensors: a new SHA on an environment's branch deploys the components it affects.

One sensor per environment (`branch_push_<env>`, targeting `deploy_<env>`), each with its own cursor
(docs/decisions/0030, 0123). A tick costs one `git ls-remote` when nothing changed, and every git and ECR
call of a tick shares one budget well inside Dagster's 60 s sensor timeout. A new tip is fetched into a
local cache and its tree diffed against the SHA last deployed (related or not: a force-push deploys what its
tree changes); the mapping of paths to components is data (credex-core-paths.yaml). Staging-like
environments wait for the tip's image in their ECR repository; an environment with `promote_from` takes the
image that passed that environment's checks for the same tree, promoted by digest, or holds with the
reason. Requests have a run key of their own every time (a redeploy of an earlier SHA is a new request),
supersede the environment's older queued sensor requests, and a failed deploy marks the environment
"behind its branch". Anything the sensor cannot verify is a skip with the reason, and the cursor stays.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, time
from typing import Any

from dagster import (
    AssetObservation,
    DagsterEventType,
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
from ..deploy import promotion
from ..deploy.config import deploy_run_config
from ..environments import COMPONENTS, Environment, Environments
from ..lib.ecr import EcrError, Image, find_image, promote
from ..lib.git import Deadline, GitCache, GitError, redact_url
from ..naming import BRANCH_PUSH_TRIGGER as BRANCH_PUSH
from ..naming import BRANCH_TAG, ENVIRONMENT_TAG, SHA_TAG, TRIGGER_TAG
from ..notifications.slack import SlackNotifier
from ..resources import AwsResource
from . import behind
from .paths import Classified, ComponentPaths, ComponentPathsError
from .resources import CredexCoreRepository
from .supersede import supersede

MINIMUM_INTERVAL_SECONDS = 60
_RECENT_RUNS = 25
ECR_CALL_SECONDS = 5.0


@dataclass
class BranchCursor:
    """What the sensor last handled on its branch.

    `seen`: tip handled; `requested`: last SHA requested; `requests`: how many requests so far (each run
    key is `<env>:<sha>:<n>`, so a SHA requested again later is a new request); `behind`: the failed run
    already reported; `held`: a tip held for promotion, already observed.
    """

    seen: str | None = None
    requested: str | None = None
    requests: int = 0
    behind: str | None = None
    held: str | None = None

    @classmethod
    def load(cls, raw: str | None) -> BranchCursor:
        if not raw:
            return cls()
        try:
            data = json.loads(raw)
            return cls(
                seen=data.get("seen"),
                requested=data.get("requested"),
                requests=int(data.get("requests") or 0),
                behind=data.get("behind"),
                held=data.get("held"),
            )
        except (ValueError, AttributeError, TypeError):
            return cls()  # an unreadable cursor is a first tick, never a deploy of everything

    def dump(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    def but(self, **changes: Any) -> BranchCursor:
        return BranchCursor(**{**asdict(self), **changes})


def sensor_name(environment: Environment) -> str:
    return naming.branch_push_sensor(environment.name)


def _app_image_tag(
    instance: DagsterInstance, environment: Environment, run_id: str | None = None
) -> str | None:
    key = naming.component_key(environment.name, "app")
    if run_id is None:
        event = instance.get_latest_materialization_event(key)
        materialization = event.asset_materialization if event else None
    else:
        records = instance.get_records_for_run(run_id=run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
        materialization = next(
            (
                r.asset_materialization
                for r in records.records
                if r.asset_materialization and r.asset_materialization.asset_key == key
            ),
            None,
        )
    outputs = materialization.metadata.get("outputs") if materialization else None
    tag = outputs.value.get("image_tag") if outputs is not None and isinstance(outputs.value, dict) else None
    return str(tag) if tag else None


def last_deployed_sha(instance: DagsterInstance, environment: Environment) -> tuple[str | None, str]:
    """The SHA last deployed: the SHA tag of the newest successful deploy that has one; a successful run
    started by hand counts with the image its app step deployed; runs of the infrastructure alone (code
    versions) are passed over. Without any: the app's deployed image tag."""
    runs = instance.get_runs(
        RunsFilter(job_name=naming.deploy_job(environment.name), statuses=[DagsterRunStatus.SUCCESS]),
        limit=_RECENT_RUNS,
    )
    for run in runs:
        if run.tags.get(SHA_TAG):
            return run.tags[SHA_TAG], f"run {run.run_id}"
        tag = _app_image_tag(instance, environment, run.run_id)
        if tag:
            return tag, f"image of run {run.run_id}"
    tag = _app_image_tag(instance, environment)
    return (tag, f"{environment.name}/app image tag") if tag else (None, "")


@dataclass(frozen=True)
class Change:
    """What the tip changes against the base, and how that was decided."""

    classified: Classified
    how: str
    tree: str


def affected_components(cache: GitCache, paths: ComponentPaths, base: str | None, tip: str) -> Change:
    """The tip's tree against the base's, whether or not the base is an ancestor (a force-push or a reset
    back to an earlier SHA diffs like any other push); every component only when the base's commit cannot
    be had at all."""
    tree = cache.tree(tip)
    resolved = (cache.resolve(base) or cache.fetch_commit(base)) if base else None
    if resolved is None:
        every = paths.classify([])
        every = Classified(
            list(COMPONENTS), every.by_component, every.every, every.nothing, every.retired, []
        )
        return Change(every, f"last deployed SHA {base} cannot be fetched: every component", tree)
    if resolved == tip:
        return Change(paths.classify([]), f"{tip[:12]} is already deployed", tree)
    relation = "" if cache.is_ancestor(resolved, tip) else " (not an ancestor: force-push or reset)"
    changed = cache.changed_paths(resolved, tip)
    return Change(paths.classify(changed), f"tree diff {resolved[:12]}..{tip[:12]}{relation}", tree)


def quiet_window(environment: Environment, now: datetime) -> str | None:
    """The environment's quiet window (UTC) that `now` falls in, if any; windows may wrap midnight."""
    moment = now.astimezone(UTC).time()
    for window in environment.triggers.quiet_windows_utc:
        start, end = (time.fromisoformat(part) for part in window.split("-"))
        inside = start <= moment < end if start <= end else (moment >= start or moment < end)
        if inside:
            return window
    return None


class Tick:
    """One evaluation: the environment, its neighbours (for promotion), the resources and what to record."""

    def __init__(
        self,
        context: SensorEvaluationContext,
        environment: Environment,
        environments: Environments | None,
        repository: CredexCoreRepository,
        aws: AwsResource,
        paths: ComponentPaths,
        slack: SlackNotifier | None,
    ) -> None:
        self.context, self.environment, self.environments = context, environment, environments
        self.repository, self.aws, self.paths, self.slack = repository, aws, paths, slack
        self.deadline: Deadline = repository.deadline()
        self.cursor = BranchCursor.load(context.cursor)
        self.events: list[AssetObservation] = []

    # ----- results --------------------------------------------------------------------------------------
    def skip(self, reason: str, **cursor: Any) -> SensorResult:
        """A skip that keeps the cursor (with `cursor` changes) and records the tick's observations."""
        return SensorResult(
            skip_reason=reason, cursor=self.cursor.but(**cursor).dump(), asset_events=self.events
        )

    # ----- behind its branch ------------------------------------------------------------------------------
    def note_deploy_state(self, tip: str) -> None:
        state = behind.deploy_state(self.context.instance, self.environment)
        if state.behind and self.cursor.behind != state.failed_run:
            self.report(True, state, tip)
            self.cursor = self.cursor.but(behind=state.failed_run)
        elif not state.behind and self.cursor.behind and state.last_run:
            self.report(False, state, tip)
            self.cursor = self.cursor.but(behind=None)

    def report(self, is_behind: bool, state: behind.DeployState, tip: str) -> None:
        self.events.extend(behind.observations(self.environment, is_behind, state, tip))
        if self.slack is None or not self.slack.configured:
            self.context.log.info(
                f"{self.environment.name}: behind_branch={is_behind} (Slack not configured)"
            )
            return
        url = self.slack.run_url(state.failed_run or state.last_run or "")
        try:
            self.slack.post(behind.message(self.environment, is_behind, state, tip, url))
        except Exception as error:  # a notification never fails the tick
            self.context.log.warning(f"could not post to Slack: {type(error).__name__}")

    # ----- ECR ----------------------------------------------------------------------------------------
    def ecr(self, environment: Environment) -> Any:
        """An ECR client whose calls end well inside what is left of the tick's budget."""
        timeout = max(1.0, min(ECR_CALL_SECONDS, self.deadline.remaining() / 4))
        return self.aws.session(environment).client("ecr", timeout=timeout)

    def image(self, tip: str) -> tuple[Image | None, str]:
        repository = naming.ecr_repository(self.environment)
        try:
            found = find_image(self.ecr(self.environment), repository, tip)
        except EcrError as error:
            return None, str(error)
        return found, "" if found else f"no image tagged {tip} in ECR repository {repository} yet"

    def promoted_image(self, tip: str, tree: str) -> tuple[dict[str, str] | None, str]:
        """Tags recording the verified image, promoted into this environment's repository as `tip`."""
        origin_name = self.environment.promote_from or ""
        verified = promotion.verified_tree(self.context.instance, origin_name, tree)
        if verified is None:
            return None, (
                f"tree {tree[:12]} of {self.environment.branch} {tip[:12]} never passed {origin_name}'s blocking "
                f"checks (no successful deploy_{origin_name} run of an image with that tree): held. Deploy it "
                f"to {origin_name} first, or deploy by hand with override_promotion"
            )
        if self.environments is None or origin_name not in self.environments:
            return None, f"environment {origin_name!r} (promote_from) is not defined: held"
        origin = self.environments[origin_name]
        source = Image(naming.ecr_repository(origin), verified.sha, verified.digest or "")
        try:
            promote(
                self.ecr(origin),
                source,
                self.ecr(self.environment),
                naming.ecr_repository(self.environment),
                tip,
            )
        except EcrError as error:
            return (
                None,
                f"cannot promote the image verified by {verified.describe(origin_name)}: {error}: held",
            )
        return {
            promotion.VERIFIED_BY_TAG: verified.run_id,
            promotion.VERIFIED_SHA_TAG: verified.sha or "",
            promotion.IMAGE_DIGEST_TAG: verified.digest or "",
        }, ""

    # ----- the tick ---------------------------------------------------------------------------------------
    def evaluate(self, now: datetime | None = None) -> SensorResult | SkipReason:
        environment, repository = self.environment, self.repository
        branch = environment.branch
        window = quiet_window(environment, now or datetime.now(UTC)) if environment.auto_deploy else None
        if window:
            return SkipReason(
                f"quiet window {window} UTC (credex-core's DCO runs at 00:00 UTC): deploys wait"
            )
        if not repository.url:
            return SkipReason(
                "no credex-core repository configured: set CREDEX_CORE_REPOSITORY (URL or path)"
            )
        try:
            tip = repository.tips([branch], self.deadline).get(branch)
        except GitError as error:
            return SkipReason(f"cannot read branch {branch!r}: {error}")
        if tip is None:
            return SkipReason(
                f"branch {branch!r} not found on {redact_url(repository.url)}: nothing deployed"
            )
        if environment.auto_deploy:
            self.note_deploy_state(tip)
        if tip == self.cursor.seen:
            return self.skip(f"no new commit on {branch!r} (at {tip[:12]})")

        base, base_source = last_deployed_sha(self.context.instance, environment)
        if base is None and self.cursor.seen:
            base, base_source = self.cursor.seen, "previous tip of the branch"
        if base is None:
            return self.skip(
                f"first sight of {branch!r} at {tip[:12]} and no deploy of {environment.name} on record: "
                f"recorded as the baseline; deploy {environment.name} by hand once",
                seen=tip,
            )
        try:
            with repository.cache(self.deadline).locked() as cache:
                fetched = cache.fetch_branch(branch)
                if fetched != tip:
                    return self.skip(
                        f"branch {branch!r} moved while fetching ({tip[:12]} -> {fetched[:12]}): next tick"
                    )
                change = affected_components(cache, self.paths, base, tip)
                cache.keep(tip)
        except GitError as error:
            return self.skip(f"cannot fetch {branch!r} at {tip[:12]}: {error}")
        except ComponentPathsError as error:
            return self.skip(f"bad component path configuration: {error}")
        components = change.classified.components
        detail = change.classified.describe()
        self.context.log.info(f"{branch} {tip[:12]} vs {base} ({base_source}): {change.how}; {detail}")

        if not components:
            return self.skip(
                f"{branch} {tip[:12]} touches no component ({change.how}: {detail}): nothing to deploy",
                seen=tip,
            )
        keys = [naming.component_key(environment.name, component) for component in components]
        if not environment.auto_deploy:
            self.events.extend(
                AssetObservation(
                    asset_key=key,
                    metadata={"waiting_sha": tip, "branch": branch, "changed": detail},
                    description=f"{branch} {tip[:12]} waits for a deploy by hand",
                )
                for key in keys
            )
            return self.skip(
                f"{environment.name} deploys by hand: {branch} {tip[:12]} waits ({', '.join(components)})",
                seen=tip,
            )

        tags = {
            ENVIRONMENT_TAG: environment.name,
            BRANCH_TAG: branch,
            SHA_TAG: tip,
            TRIGGER_TAG: BRANCH_PUSH,
            promotion.TREE_TAG: change.tree,
        }
        if "app" in components and environment.promote_from:
            recorded, why = self.promoted_image(tip, change.tree)
            if recorded is None:
                if self.cursor.held != tip:
                    self.events.append(
                        AssetObservation(
                            asset_key=naming.component_key(environment.name, "app"),
                            metadata={"held_sha": tip, "tree": change.tree, "reason": why},
                            description=f"{branch} {tip[:12]} held: {why}",
                        )
                    )
                return self.skip(f"{branch} {tip[:12]}: {why}", held=tip)
            tags.update(recorded)
        elif "app" in components:
            image, why = self.image(tip)
            if image is None:
                return self.skip(f"waiting for the image of {branch} {tip[:12]}: {why}")
            tags[promotion.IMAGE_DIGEST_TAG] = image.digest

        superseded = supersede(self.context.instance, environment, self.context.log)
        components = [c for c in COMPONENTS if c in set(components) | superseded.components]
        if superseded.run_ids:
            self.context.log.info(f"{environment.name}: {superseded.describe()}")
        number = self.cursor.requests + 1
        request = RunRequest(
            run_key=f"{environment.name}:{tip}:{number}",
            job_name=naming.deploy_job(environment.name),
            asset_selection=[naming.component_key(environment.name, component) for component in components],
            run_config=deploy_run_config(
                environment,
                components,
                git_sha=tip,
                use_existing_resources=True,
                confirm_environment=environment.name if environment.protected else "",
            ),
            tags=tags,
        )
        next_cursor = self.cursor.but(seen=tip, requested=tip, requests=number, held=None)
        return SensorResult(run_requests=[request], cursor=next_cursor.dump(), asset_events=self.events)


def evaluate(
    context: SensorEvaluationContext,
    environment: Environment,
    repository: CredexCoreRepository,
    aws: AwsResource,
    now: datetime | None = None,
    *,
    environments: Environments | None = None,
    paths: ComponentPaths | None = None,
    slack: SlackNotifier | None = None,
) -> SensorResult | SkipReason:
    from .paths import load_component_paths

    tick = Tick(context, environment, environments, repository, aws, paths or load_component_paths(), slack)
    return tick.evaluate(now)


def build_sensor(
    environment: Environment, environments: Environments | None = None, paths: ComponentPaths | None = None
) -> SensorDefinition:
    from .paths import load_component_paths, paths_file

    mapping = paths or load_component_paths(paths_file(environments))

    @sensor(
        name=sensor_name(environment),
        job_name=naming.deploy_job(environment.name),
        minimum_interval_seconds=MINIMUM_INTERVAL_SECONDS,
        description=(
            f"Deploys {environment.name} when {environment.branch!r} gets a new commit, only the affected "
            + (
                f"components, with the image that passed {environment.promote_from}'s checks for the same tree."
                if environment.promote_from
                else "components, once the commit's image is in ECR."
            )
            if environment.auto_deploy
            else f"Records new commits on {environment.branch!r}: {environment.name} is deployed by hand."
        ),
    )
    def branch_push(
        context: SensorEvaluationContext,
        credex_core: CredexCoreRepository,
        aws: AwsResource,
        slack: SlackNotifier,
    ) -> SensorResult | SkipReason:
        return Tick(context, environment, environments, credex_core, aws, mapping, slack).evaluate()

    return branch_push


def build_sensors(environments: Environments, paths: ComponentPaths | None = None) -> list[SensorDefinition]:
    return [build_sensor(environment, environments, paths) for environment in environments.values()]
