"""`infrastructure_<env>`: a reload whose Terraform roots or environment entry changed deploys the changed
components, by their code versions.

Each component asset carries `code_version(environment, component)` (code_versions.py); Dagster records
it on every materialisation. On each tick the sensor compares the loaded versions with the last
materialised ones: a component whose version differs, and was not requested at that version already, is
deployed with what reads from it (its image unchanged: `git_sha` empty). A component never materialised
waits for its first deploy by hand. An environment with `promote_from` deploys a changed component only
once that environment deployed the same root without a failed check; until then it is held with the
reason (docs/decisions/0121-infrastructure-code-versions.md).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from dagster import (
    DagsterInstance,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from .. import naming
from ..deploy.code_versions import code_version, root_part
from ..deploy.config import deploy_run_config
from ..deploy.promotion import CODE_VERSION_TAG, verified_root
from ..environments import COMPONENTS, Environment, Environments
from ..naming import ENVIRONMENT_TAG, TRIGGER_TAG
from .paths import downstream_closure
from .supersede import supersede

CODE_VERSION = "code-version"
MINIMUM_INTERVAL_SECONDS = 60


@dataclass
class VersionCursor:
    """The version each component was last requested at, and how many requests were made."""

    requested: dict[str, str] = field(default_factory=dict)
    requests: int = 0

    @classmethod
    def load(cls, raw: str | None) -> VersionCursor:
        try:
            data = json.loads(raw) if raw else {}
            return cls(dict(data.get("requested") or {}), int(data.get("requests") or 0))
        except (ValueError, AttributeError, TypeError):
            return cls()

    def dump(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def sensor_name(environment: Environment) -> str:
    return f"infrastructure_{environment.name}"


def materialised_version(instance: DagsterInstance, environment: Environment, component: str) -> str | None:
    """The code version of the component's latest materialisation; "" when it was never materialised."""
    event = instance.get_latest_materialization_event(naming.component_key(environment.name, component))
    if event is None or event.asset_materialization is None:
        return ""
    return (event.asset_materialization.tags or {}).get(CODE_VERSION_TAG)


def evaluate(
    context: SensorEvaluationContext, environment: Environment, versions: dict[str, str]
) -> SensorResult | SkipReason:
    cursor = VersionCursor.load(context.cursor)
    instance = context.instance
    changed, never, waiting = [], [], []
    for component in COMPONENTS:
        deployed = materialised_version(instance, environment, component)
        if deployed == "":
            never.append(component)
        elif deployed != versions[component]:
            if cursor.requested.get(component) == versions[component]:
                waiting.append(component)  # requested at this version already: queued, running or failed
            else:
                changed.append(component)
    notes = []
    if never:
        notes.append(f"never deployed (deploy by hand first): {', '.join(never)}")
    if waiting:
        notes.append(f"already requested at their current version: {', '.join(waiting)}")
    if not changed:
        return SkipReason(
            f"{environment.name}: every deployed component is at its code version"
            + (f" ({'; '.join(notes)})" if notes else "")
        )
    if not environment.auto_deploy:
        return SkipReason(
            f"{environment.name} deploys by hand: changed code versions of {', '.join(changed)}"
        )
    origin = environment.promote_from
    if origin:
        held = []
        for component in list(changed):
            root = root_part(versions[component]) or ""
            if verified_root(instance, origin, component, root) is None:
                held.append(f"{component} ({root} never deployed cleanly in {origin})")
                changed.remove(component)
        if held:
            notes.append(f"held for promotion: {'; '.join(held)}")
        if not changed:
            return SkipReason(f"{environment.name}: {'; '.join(notes)}")
    components = downstream_closure(changed)
    superseded = supersede(instance, environment, context.log)
    components = [c for c in COMPONENTS if c in set(components) | superseded.components]
    number = cursor.requests + 1
    digest = hashlib.sha256(json.dumps([versions[c] for c in components]).encode()).hexdigest()[:12]
    request = RunRequest(
        run_key=f"{environment.name}:code:{digest}:{number}",
        job_name=naming.deploy_job(environment.name),
        asset_selection=[naming.component_key(environment.name, c) for c in components],
        run_config=deploy_run_config(
            environment,
            components,
            use_existing_resources=True,
            confirm_environment=environment.name if environment.protected else "",
        ),
        tags={ENVIRONMENT_TAG: environment.name, TRIGGER_TAG: CODE_VERSION},
    )
    context.log.info(
        f"{environment.name}: code versions changed for {', '.join(changed)}; deploying {', '.join(components)}"
        + (f"; {'; '.join(notes)}" if notes else "")
    )
    requested = {**cursor.requested, **{c: versions[c] for c in components}}
    return SensorResult(run_requests=[request], cursor=VersionCursor(requested, number).dump())


def build_sensor(environment: Environment) -> SensorDefinition:
    versions = {component: code_version(environment, component) for component in COMPONENTS}

    @sensor(
        name=sensor_name(environment),
        job_name=naming.deploy_job(environment.name),
        minimum_interval_seconds=MINIMUM_INTERVAL_SECONDS,
        description=(
            f"Deploys {environment.name}'s components whose Terraform root or environment entry changed "
            "(code versions), "
            + (
                f"once {environment.promote_from} deployed the same root."
                if environment.promote_from
                else "as soon as the code location is reloaded with them."
            )
        ),
    )
    def infrastructure(context: SensorEvaluationContext) -> SensorResult | SkipReason:
        return evaluate(context, environment, versions)

    return infrastructure


def build_sensors(environments: Environments) -> list[SensorDefinition]:
    return [build_sensor(environment) for environment in environments.values()]
