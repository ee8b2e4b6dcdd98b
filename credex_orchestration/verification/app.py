"""The checks of `<env>/app` as plain calls: the asset check runs them, and so can a script.

`AppVerification` holds what the checks share (clients, names, the deployed revision from Terraform's
outputs, and one request budget per run: every HTTP check spends the app's rate limit, rate_limit.py) and
runs them in order. The authentication probe, the integration tests and the benchmark run only when the
blocking checks passed. What to do about a failure (roll back, record the revision) belongs to the
caller:
`components/app_verification.py`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .. import naming
from ..deploy.step import read_outputs
from ..environments import Environment, VerificationSettings
from ..lib.redact import Redactor
from ..resources import AwsResource, TerraformResource
from . import api, authentication, ecs, ecs_tasks, integration, network
from .outcome import Outcome, guarded
from .rate_limit import RequestBudget
from .results import (
    APP_CHECKS,
    AUTHENTICATION,
    BENCHMARK,
    BLOCKING,
    HEALTH,
    INTEGRATION,
    STABLE,
    STATUS,
    TARGETS,
    TASKS,
    connect,
)

Log = Callable[[str], None]


def integration_read_only(environment: Environment) -> bool:
    """Production never runs the data-creating tests, whatever its settings say."""
    return environment.verification.integration_read_only or environment.protected


def secret_redactor(session: Any, environment: Environment) -> Redactor:
    """The environment's secret values, read only to mask them in the app's log lines (never returned)."""
    redactor = Redactor()
    secrets = session.client("secretsmanager")
    for name in (naming.neo4j_secret(environment), naming.app_secret(environment)):
        try:
            text = secrets.get_secret_value(SecretId=name).get("SecretString") or ""
        except Exception as error:
            if getattr(error, "response", {}).get("Error", {}).get("Code") == "ResourceNotFoundException":
                continue  # no such secret: nothing to mask; the secret check reports it
            # Fail closed: a secret that exists but cannot be read cannot be masked, so nothing is shown.
            redactor.close(f"secret {name} could not be read to mask it ({type(error).__name__})")
            return redactor
        try:
            document = json.loads(text)
        except ValueError:
            document = None
        # A JSON object's values are masked one by one; any other secret is masked whole.
        redactor.add(document if isinstance(document, dict) else text)
    return redactor


def deployed_revision(
    environment: Environment, terraform: TerraformResource
) -> tuple[str | None, str | None, str]:
    """Task definition ARN and image tag from the app's Terraform outputs (what the last deploy applied)."""
    try:
        outputs = read_outputs(environment, "app", terraform, ("task_definition_arn", "image_tag"))
    except Exception as error:  # reported by the status check, not raised
        return None, None, f"{type(error).__name__}: {error}"
    return str(outputs["task_definition_arn"]), str(outputs["image_tag"]), ""


class AppVerification:
    """One environment's app, checked against what its last deploy applied."""

    def __init__(
        self, environment: Environment, session: Any, terraform: TerraformResource, log: Log
    ) -> None:
        self.environment = environment
        self.session = session
        self.log = log
        self.ecs = session.client("ecs")
        self.logs = session.client("logs")
        self.elbv2 = session.client("elbv2")
        self.cluster, self.service = naming.ecs_cluster(environment), naming.ecs_service(environment)
        self.expected_arn, self.expected_tag, self.outputs_error = deployed_revision(environment, terraform)
        self._masks: list[Redactor] = []
        self.budget = RequestBudget(environment.verification.rate_limit)

    @classmethod
    def connect(
        cls, environment: Environment, aws: AwsResource, terraform: TerraformResource, log: Log
    ) -> AppVerification:
        """Raises when AWS cannot be reached or the credentials belong to another account."""
        return cls(environment, connect(aws, environment), terraform, log)

    @property
    def settings(self) -> VerificationSettings:
        return self.environment.verification

    def redact(self, text: str) -> str:
        if not self._masks:  # read the secrets only when there is evidence to scrub
            try:
                self._masks.append(secret_redactor(self.session, self.environment))
            except Exception as error:  # fail closed
                closed = Redactor()
                closed.close(f"the secrets to mask could not be read ({type(error).__name__})")
                self._masks.append(closed)
        return self._masks[0](text)

    def wait_stable(self) -> Outcome:
        return guarded(
            "ECS rollout",
            lambda: ecs.wait_until_stable(
                self.ecs,
                self.logs,
                cluster=self.cluster,
                service=self.service,
                log_group=naming.log_group(self.environment),
                timeout_seconds=self.settings.rollout_timeout_seconds,
                poll_interval_seconds=self.settings.poll_interval_seconds,
                log_lines=self.settings.log_lines,
                log=self.log,
                redact=self.redact,
            ),
        )

    def health(self) -> Outcome:
        return guarded(
            "API health",
            lambda: api.health(
                self.environment.base_url,
                self.settings.health,
                self.settings.request_timeout_seconds,
                self.log,
                self.budget,
            ),
        )

    def tasks(self) -> Outcome:
        return guarded(
            "ECS tasks",
            lambda: ecs_tasks.tasks_current(
                self.ecs,
                self.session.client("secretsmanager"),
                cluster=self.cluster,
                service=self.service,
                container=naming.CONTAINER_NAME,
                expected_task_definition=self.expected_arn,
                expected_image_tag=self.expected_tag,
                secret_names=(naming.neo4j_secret(self.environment), naming.app_secret(self.environment)),
            ),
        )

    def status(self) -> Outcome:
        outcome = guarded(
            "ECS status",
            lambda: ecs.status(
                self.ecs,
                cluster=self.cluster,
                service=self.service,
                container=naming.CONTAINER_NAME,
                expected_task_definition=self.expected_arn,
                expected_image_tag=self.expected_tag,
            ),
        )
        if self.outputs_error:
            outcome.metadata["outputs_error"] = self.outputs_error
        return outcome

    def run(self) -> dict[str, Outcome]:
        """Every check in APP_CHECKS order; the HTTP ones after health are not run when a blocking one failed
        or was inconclusive. One request budget for the run: a second run starts from what the app says."""
        base_url, settings = self.environment.base_url, self.settings
        self.budget = RequestBudget(settings.rate_limit)
        outcomes = {STABLE: self.wait_stable(), STATUS: self.status(), TASKS: self.tasks()}
        outcomes[TARGETS] = guarded(
            "target health",
            lambda: network.targets_healthy(self.elbv2, naming.target_group(self.environment)),
        )
        outcomes[HEALTH] = self.health()
        failed = [name for name in BLOCKING if not outcomes[name].passed]
        if failed:
            why = ", ".join(
                f"{name} {'inconclusive' if outcomes[name].inconclusive else 'failed'}" for name in failed
            )
            for name in (AUTHENTICATION, INTEGRATION, BENCHMARK):
                outcomes[name] = Outcome.fail(
                    f"not run: blocking check(s) did not pass ({why})", not_run=True
                )
            return {name: outcomes[name] for name in APP_CHECKS}
        timeout = settings.request_timeout_seconds
        outcomes[AUTHENTICATION] = guarded(
            "authentication probe",
            lambda: authentication.unauthenticated_routes(base_url, timeout, self.budget, self.log),
        )
        outcomes[INTEGRATION] = guarded(
            "integration suite",
            lambda: integration.run_suite(
                base_url,
                read_only=integration_read_only(self.environment),
                timeout_seconds=settings.integration_timeout_seconds,
                request_timeout_seconds=timeout,
                budget=self.budget,
                log=self.log,
            ),
        )
        outcomes[BENCHMARK] = guarded(
            "benchmark",
            lambda: api.benchmark(base_url, settings.benchmark, timeout, self.log, self.budget),
        )
        return {name: outcomes[name] for name in APP_CHECKS}

    def running(self, outcomes: dict[str, Outcome]) -> str | None:
        """The task definition the service runs (from the status check), else the one Terraform applied."""
        return outcomes[STATUS].metadata.get("running_task_definition") or self.expected_arn
