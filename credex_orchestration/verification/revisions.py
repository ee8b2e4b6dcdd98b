"""Where the last task definition that passed every blocking check is recorded: in AWS, and on `<env>/app`.

Every check run whose blocking checks all pass writes the revision to an SSM parameter of the environment
(`naming.verified_revision_parameter`) and logs an `AssetObservation` on the environment's app asset. The
rollback reads AWS first, so an instance that never saw the passing run (the break-glass deploy from a new
DAGSTER_HOME) rolls back too; the observation keeps the history visible in the UI. After a rollback the
live revision is recorded too (`naming.live_revision_parameter`), so the next deploy that keeps the deployed
image takes the live one, not the rolled-back one Terraform's state still names.
A parameter, not a tag on the Terraform-managed service: Terraform would remove a tag it does not manage on
the next apply (docs/decisions/0020-last-good-revision.md, 0143-rollback-record-in-aws.md).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

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


def record_in_aws(ssm: Any, parameter: str, revision: Revision, **extra: str) -> None:
    ssm.put_parameter(
        Name=parameter,
        Value=json.dumps({**asdict(revision), **extra}),
        Type="String",
        Overwrite=True,
        Description="credex-orchestration app revision record (verification/revisions.py)",
    )


def read_from_aws(ssm: Any, parameter: str) -> Revision | None:
    """The revision recorded in `parameter`; None when there is none. Other errors propagate."""
    try:
        value = ssm.get_parameter(Name=parameter)["Parameter"]["Value"]
    except Exception as error:
        if getattr(error, "response", {}).get("Error", {}).get("Code") == "ParameterNotFound":
            return None
        raise
    data = json.loads(value)
    return Revision(
        str(data["task_definition_arn"]), str(data.get("image_tag", "")), str(data.get("run_id", ""))
    )


def last_verified(instance: DagsterInstance, environment: str, ssm: Any | None = None) -> Revision | None:
    """The newest revision recorded as passing for `environment` (AWS first, then the instance), or None."""
    if ssm is not None:
        recorded = read_from_aws(ssm, naming.verified_revision_parameter(environment))
        if recorded is not None:
            return recorded
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
