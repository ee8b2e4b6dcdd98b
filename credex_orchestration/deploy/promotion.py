"""Promotion: an environment with `promote_from` deploys only what that environment verified.

Verified means a successful `deploy_<origin>` run that materialised `<origin>/<component>` and in which no
ERROR check on it failed; for an image also at least one blocking check on `<origin>/app` passed. Images are
matched by tree (the credex-core commit's files, `credex/tree` tag of the origin's run) and promoted by
digest; Terraform roots by the `root=` part of the asset's code version. The sensors look the verification
up before requesting a deploy; the guard looks it up again in the run, from the instance's records and the
image's digest in ECR, so a typed tag proves nothing (docs/decisions/0122-promotion.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from dagster import (
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    RunsFilter,
)

from .. import naming
from ..environments import Environment
from ..lib.ecr import EcrError, find_image
from .code_versions import code_version, root_part

TREE_TAG = "credex/tree"
IMAGE_DIGEST_TAG = "credex/image-digest"
VERIFIED_BY_TAG = "credex/verified-by"
VERIFIED_SHA_TAG = "credex/verified-sha"
CODE_VERSION_TAG = "dagster/code_version"
_SEARCHED_RUNS = 50


class PromotionRefused(RuntimeError):
    """What a production deploy would run never passed the origin environment's checks."""


@dataclass(frozen=True)
class Verification:
    """The origin's run that verified something: which run, which commit and image."""

    run_id: str
    sha: str | None
    digest: str | None

    def describe(self, origin: str) -> str:
        image = f" image {self.digest}" if self.digest else ""
        commit = f" of {self.sha[:12]}" if self.sha else ""
        return f"{origin} run {self.run_id}{commit}{image}"


def deploy_job(origin: str) -> str:
    return naming.deploy_job(origin)


def check_outcome(instance: DagsterInstance, run_id: str, key: AssetKey) -> tuple[int, list[str]]:
    """(blocking checks passed, checks failed with ERROR) on `key` in run `run_id`."""
    passed, failed = 0, []
    records = instance.get_records_for_run(run_id=run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)
    for record in records.records:
        event = record.event_log_entry.dagster_event
        evaluation = event.event_specific_data if event else None
        if evaluation is None or evaluation.asset_key != key:
            continue
        if evaluation.passed:
            passed += 1 if evaluation.blocking else 0
        elif evaluation.severity == AssetCheckSeverity.ERROR:
            failed.append(evaluation.check_name)
    return passed, failed


def materialised(instance: DagsterInstance, run_id: str, key: AssetKey) -> dict[str, str] | None:
    """Tags of `key`'s materialisation in run `run_id` (code version among them), or None."""
    records = instance.get_records_for_run(run_id=run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
    for record in records.records:
        materialization = record.asset_materialization
        if materialization is not None and materialization.asset_key == key:
            return dict(materialization.tags or {})
    return None


def _image_verified(instance: DagsterInstance, origin: str, run_id: str) -> bool:
    key = naming.component_key(origin, "app")
    if materialised(instance, run_id, key) is None:
        return False
    passed, failed = check_outcome(instance, run_id, key)
    return passed > 0 and not failed


def _successful_runs(instance: DagsterInstance, origin: str, tags: dict[str, str]) -> list:
    return list(
        instance.get_runs(
            RunsFilter(job_name=deploy_job(origin), statuses=[DagsterRunStatus.SUCCESS], tags=tags),
            limit=_SEARCHED_RUNS,
        )
    )


def verified_tree(instance: DagsterInstance, origin: str, tree: str) -> Verification | None:
    """The newest origin run that verified an image built from `tree`."""
    for run in _successful_runs(instance, origin, {TREE_TAG: tree}):
        if run.tags.get(IMAGE_DIGEST_TAG) and _image_verified(instance, origin, run.run_id):
            return Verification(run.run_id, run.tags.get("credex/sha"), run.tags[IMAGE_DIGEST_TAG])
    return None


def verified_digest(instance: DagsterInstance, origin: str, digest: str) -> Verification | None:
    """The newest origin run that verified the image with this digest."""
    for run in _successful_runs(instance, origin, {IMAGE_DIGEST_TAG: digest}):
        if _image_verified(instance, origin, run.run_id):
            return Verification(run.run_id, run.tags.get("credex/sha"), digest)
    return None


def verified_root(instance: DagsterInstance, origin: str, component: str, root: str) -> Verification | None:
    """The newest origin run that deployed `component` from the same Terraform root without a failed check."""
    key = naming.component_key(origin, component)
    for record in instance.fetch_materializations(key, limit=_SEARCHED_RUNS).records:
        materialization = record.asset_materialization
        if materialization is None or root_part((materialization.tags or {}).get(CODE_VERSION_TAG)) != root:
            continue
        run = instance.get_run_by_id(record.run_id)
        if run is None or run.status != DagsterRunStatus.SUCCESS or run.job_name != deploy_job(origin):
            continue
        if not check_outcome(instance, record.run_id, key)[1]:
            return Verification(record.run_id, run.tags.get("credex/sha"), None)
    return None


def check_promotion(context: AssetExecutionContext, environment: Environment, component: str, config) -> None:
    """The guard's promotion step: refuse, before anything runs, what the origin never verified."""
    origin = environment.promote_from
    if origin is None:
        return
    where = f"{environment.name}/{component}"
    override = (getattr(config, "override_promotion", "") or "").strip()
    if override:
        context.log.warning(f"{where}: promotion check overridden by hand: {override}")
        return
    root = root_part(code_version(environment, component))
    verified = verified_root(context.instance, origin, component, root or "")
    if verified is None:
        raise PromotionRefused(
            f"{where}: terraform/{component} at {root} never deployed cleanly in {origin}: held. Deploy "
            f"{origin} first, or set override_promotion (the reason) in the run config of op "
            f"{environment.name}__{component}: refused, nothing was run"
        )
    context.log.info(f"{where}: terraform/{component} {root} verified by {verified.describe(origin)}")
    sha = getattr(config, "git_sha", "")
    if component != "app" or not sha:
        return
    repository = naming.ecr_repository(environment)
    try:
        image = find_image(context.resources.aws.session(environment).client("ecr"), repository, sha)
    except EcrError as error:
        raise PromotionRefused(f"{where}: cannot read the image to deploy: {error}: refused") from None
    if image is None:
        raise PromotionRefused(f"{where}: no image tagged {sha} in {repository}: refused, nothing was run")
    passed = verified_digest(context.instance, origin, image.digest)
    if passed is None:
        raise PromotionRefused(
            f"{where}: image {repository}:{sha} ({image.digest}) never passed {origin}'s blocking checks: held. "
            f"Set override_promotion (the reason) in the run config of op {environment.name}__app to deploy "
            "it anyway: refused, nothing was run"
        )
    context.log.info(f"{where}: image {image.digest} verified by {passed.describe(origin)}")
