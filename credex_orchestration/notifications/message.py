"""What a failure message says: the environment, component, SHA, failed step or check, and the run link."""

from collections.abc import Sequence
from dataclasses import dataclass

from dagster import AssetCheckSeverity, DagsterEvent, DagsterRun

from ..deploy.config import requested_git_sha
from ..environments import COMPONENTS
from ..naming import ENVIRONMENT_TAG, SHA_TAG

_MAX_ERROR = 600
_FAILURE_PREFIX = "dagster._core.definitions.events.Failure: "
_MAX_CHECKS = 5


@dataclass(frozen=True)
class FailedCheck:
    """`warning`: a check that failed with WARN severity (a finding, an inconclusive check), not a failure."""

    asset: str
    name: str
    description: str | None
    warning: bool = False


@dataclass(frozen=True)
class FailureReport:
    job: str
    run_id: str
    environment: str | None
    component: str | None
    sha: str | None
    failed_steps: tuple[str, ...]
    failed_checks: tuple[FailedCheck, ...]
    error: str | None
    run_url: str | None

    def text(self) -> str:
        where = f" in *{self.environment}*" if self.environment else ""
        lines = [f":rotating_light: *{self.job} failed*{where}"]
        component = self.component or "none (the run failed outside a component step)"
        steps = f" (step {', '.join(self.failed_steps)})" if self.failed_steps else ""
        lines.append(f"• component: {component}{steps}")
        lines.append(f"• SHA: {self.sha or 'not given (the deployed image)'}")
        for check in self.failed_checks[:_MAX_CHECKS]:
            detail = f": {check.description}" if check.description else ""
            kind = "warning" if check.warning else "failed check"
            lines.append(f"• {kind}: {check.asset} `{check.name}`{detail}")
        if len(self.failed_checks) > _MAX_CHECKS:
            lines.append(f"• and {len(self.failed_checks) - _MAX_CHECKS} more failed checks (see the run)")
        if self.error:
            lines.append(f"• error: {self.error}")
        short = self.run_id[:8]
        lines.append(
            f"<{self.run_url}|Open run {short} in Dagster>" if self.run_url else f"run {self.run_id}"
        )
        return "\n".join(lines)


def component_of_step(environment: str | None, step_key: str) -> str | None:
    """`<env>__<component>...` -> component; steps of other shapes name no component."""
    prefix = f"{environment}__" if environment else ""
    if not step_key.startswith(prefix):
        return None
    rest = step_key[len(prefix) :]
    return next((c for c in COMPONENTS if rest == c or rest.startswith(f"{c}_")), None)


def requested_sha(run: DagsterRun) -> str | None:
    """The SHA a trigger tagged, else the app's git_sha in the deploy's config."""
    if run.tags.get(SHA_TAG):
        return run.tags[SHA_TAG]
    environment = run.tags.get(ENVIRONMENT_TAG)
    return requested_git_sha(run.run_config, environment) if environment else None


def first_line(text: str | None) -> str | None:
    if not text:
        return None
    line = text.strip().splitlines()[0] if text.strip() else ""
    line = line.removeprefix(_FAILURE_PREFIX)  # a step's explained failure (deploy/failures.py)
    if len(line) <= _MAX_ERROR:
        return line
    cut = line[: _MAX_ERROR - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + " … (whole in the run)"


def report(
    run: DagsterRun,
    step_failures: Sequence[DagsterEvent],
    check_evaluations: Sequence[DagsterEvent],
    run_failure_message: str | None,
    run_url: str | None,
) -> FailureReport:
    environment = run.tags.get(ENVIRONMENT_TAG)
    steps = tuple(event.step_key for event in step_failures if event.step_key)
    checks = []
    for event in check_evaluations:
        evaluation = event.event_specific_data
        if evaluation is None or evaluation.passed:
            continue
        description = evaluation.description or next(
            (str(v.value) for k, v in evaluation.metadata.items() if k in ("reason", "error", "message")),
            None,
        )
        checks.append(
            FailedCheck(
                evaluation.asset_key.to_user_string(),
                evaluation.check_name,
                first_line(description),
                warning=evaluation.severity == AssetCheckSeverity.WARN,
            )
        )
    # The failed step is what stopped the run; a failed check names the component when no step failed.
    component = next((c for c in (component_of_step(environment, s) for s in steps) if c), None)
    if component is None and checks:
        component = checks[0].asset.split("/")[-1]
    error = None
    if step_failures and step_failures[0].event_specific_data and step_failures[0].event_specific_data.error:
        failure = step_failures[0].event_specific_data.error
        while failure.cause is not None and failure.cls_name in ("DagsterExecutionStepExecutionError",):
            failure = failure.cause  # the user's exception, not Dagster's wrapper
        error = first_line(failure.message)
    else:
        error = first_line(run_failure_message)
    return FailureReport(
        job=run.job_name,
        run_id=run.run_id,
        environment=environment,
        component=component,
        sha=requested_sha(run),
        failed_steps=steps,
        failed_checks=tuple(checks),
        error=error,
        run_url=run_url,
    )
