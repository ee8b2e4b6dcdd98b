"""Where the last task definition that passed every blocking check is recorded: an observation on `<env>/app`.

Every check run whose blocking checks all pass logs an `AssetObservation` on the environment's app asset with
the revision it verified. Reading it back is a query on the Dagster instance, so the record is per
environment (the asset key carries it), visible in the asset's history, and needs no extra store or AWS
change (docs/decisions/0020-last-good-revision.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from dagster import AssetKey, AssetObservation, DagsterInstance

from .. import naming

VERIFIED = "verified_task_definition_arn"
_SCAN = 200  # observations to look through; other areas may observe the app too


@dataclass(frozen=True)
class Revision:
    task_definition_arn: str
    image_tag: str
    run_id: str


def app_key(environment: str) -> AssetKey:
    return naming.component_key(environment, "app")


def verified_observation(environment: str, revision: Revision) -> AssetObservation:
    return AssetObservation(
        asset_key=app_key(environment),
        description="passed every blocking post-deploy check",
        metadata={
            VERIFIED: revision.task_definition_arn,
            "image_tag": revision.image_tag,
            "run_id": revision.run_id,
        },
        tags={naming.VERIFICATION_TAG: "passed"},
    )


def last_verified(instance: DagsterInstance, environment: str) -> Revision | None:
    """The newest revision recorded as passing for `environment`, or None if none ever passed."""
    records = instance.fetch_observations(app_key(environment), limit=_SCAN).records
    for record in records:
        observation = record.asset_observation
        if observation is None or VERIFIED not in observation.metadata:
            continue
        values = {key: value.value for key, value in observation.metadata.items()}
        return Revision(
            str(values[VERIFIED]), str(values.get("image_tag", "")), str(values.get("run_id", ""))
        )
    return None
