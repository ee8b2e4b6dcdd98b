"""The rehearsal world: the real Terraform roots, the real AWS provider (5.100.0) and moto, without Dagster.

One moto server process (credex_orchestration/rehearsal/moto_server.py: moto with the few AWS behaviours it lacks put
back) holds what a fresh AWS account would hold before the first deploy of an environment:

- the S3 state bucket `credex-terraform-state-<env>` (versioned), used by the S3 backend with
  `use_lockfile` through `TerraformResource.s3_endpoint_url`;
- the public Route53 hosted zone of the environment's domain, with the A record the old system left for
  the domain (198.51.100.7), which the connectors root must take over;
- a Neo4j AMI per edition made the way the AMI pipeline leaves one (an instance launched from a base
  image, imaged with `create_image`, tagged like credex_orchestration/images/build.py tags it);

and every root runs through the project's engine (`TerraformResource.workspace`) with the variables the
component modules compute (`credex_orchestration.components.<component>.variables`), providers from
the filesystem mirror (`TerraformResource.provider_mirror`, found automatically).

moto waits are set to what a rehearsal needs: `MOTO_ACM_VALIDATION_WAIT=0` (the certificate is issued on
the first describe), `MOTO_ECS_SERVICE_RUNNING=1` (services report their task running),
`MOTO_EC2_LOAD_DEFAULT_AMIS=false` (no 2 s image catalogue), `MOTO_IAM_LOAD_MANAGED_POLICIES=true` (AWS
managed policies exist, so the SSM policy attachment works). What remains is the provider's own waiter
delays, which no server setting shortens: the ALB's "active" waiter (about 60 s), each Route53 change's
INSYNC wait (about 15 s), EBS volumes, instances and attachments (10-20 s).

Where moto cannot do what AWS does, the caller stands in for exactly that call and says so: moto reports
EC2 status checks "ok" the moment an instance runs (the roll-out's health wait passes at once), never rolls
out an ECS deployment (a forced new deployment only gets a new PRIMARY deployment id), and never evaluates
ECR lifecycle policies.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from credex_orchestration.components import app, connectors, databases
from credex_orchestration.environments import (
    DEFAULT_ENVIRONMENTS_FILE,
    PROJECT_ROOT,
    Environment,
    load_environments,
)
from credex_orchestration.lib.terraform import ApplySummary, PlanSummary, TerraformWorkspace
from credex_orchestration.rehearsal import seed
from credex_orchestration.rehearsal.moto_server import MotoProcess
from credex_orchestration.rehearsal.seed import OLD_SYSTEM_ADDRESS as OLD_SYSTEM_ADDRESS  # tests read it here
from credex_orchestration.resources import TerraformResource

FIRST_IMAGE_TAG = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
# The roll-out's waits, short: moto's snapshots complete and its instances pass status checks at once.
FAST_ROLLOUT = {
    "database_rollout": {"health_timeout_seconds": 30, "poll_interval_seconds": 0.2},
    "backups": {"snapshot_timeout_seconds": 30, "poll_interval_seconds": 0.2},
}


def rehearsal_environments_file(directory: Path) -> Path:
    """The checked-in environments (S3 state, as deployed), with the roll-out's waits made short."""
    raw = yaml.safe_load(DEFAULT_ENVIRONMENTS_FILE.read_text())
    for body in raw["environments"].values():
        for section, values in FAST_ROLLOUT.items():
            body.setdefault(section, {}).update(values)
    path = directory / "environments.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


@dataclass
class RehearsalWorld:
    """A moto server prepared for first deploys, and the engine on the real roots pointed at it.

    `terraform` is the engine (TerraformResource on `terraform/`, state in moto S3, providers from the
    mirror); `environments` the checked-in environments; `timings` collects the seconds of every step
    (`<env>/<component> plan|apply`, `world setup`, ...). Methods take an environment name.
    """

    moto: MotoProcess
    terraform: TerraformResource
    environments: Any
    work_dir: Path
    timings: dict[str, list[float]] = field(default_factory=dict)
    amis: dict[str, str] = field(default_factory=dict)
    prepared: set[str] = field(default_factory=set)
    log: Callable[[str], None] = lambda line: None

    @property
    def endpoint_url(self) -> str:
        return self.moto.endpoint_url

    @property
    def process_env(self) -> dict[str, str]:
        """What Terraform's processes need besides the test session's credentials: moto as AWS."""
        return {"AWS_ENDPOINT_URL": self.endpoint_url}

    def client(self, service: str, environment: str = "development") -> Any:
        region = self.environments[environment].aws.region
        return boto3.client(service, region_name=region, endpoint_url=self.endpoint_url)

    def environment(self, name: str) -> Environment:
        return self.environments[name]

    # ----- what exists before the first deploy ----------------------------------------------------------
    def prepare(self, name: str) -> None:
        """State bucket, hosted zone (with the old system's record) and Neo4j AMI of one environment, made by
        the rehearsal's own seed (`credex_orchestration.rehearsal.seed`, as the local default makes them)."""
        if name in self.prepared:
            return
        started = time.monotonic()
        env = self.environment(name)
        seed.state_bucket(env, self.endpoint_url)
        seed.old_system_record(env, self.endpoint_url)
        self.neo4j_ami(name)
        self.prepared.add(name)
        self._time(f"{name} prerequisites", started)

    def hosted_zone(self, name: str) -> str:
        """The public hosted zone of the environment's domain (created once, shared by its environments)."""
        return seed.hosted_zone(self.environment(name), self.endpoint_url)

    def neo4j_ami(self, name: str, label: str = "") -> str:
        """An AMI as the pipeline leaves one (`seed.neo4j_ami`), one per edition and `label` (a new Neo4j
        release, for the roll-out)."""
        key = f"{self.environment(name).neo4j.edition}{label}"
        if key not in self.amis:
            self.amis[key] = seed.neo4j_ami(self.environment(name), self.endpoint_url, label)
        return self.amis[key]

    # ----- the engine ------------------------------------------------------------------------------------
    def workspace(self, component: str, name: str = "development") -> TerraformWorkspace:
        return self.terraform.workspace(self.environment(name), component, env=self.process_env, log=self.log)

    def outputs(self, component: str, name: str = "development") -> dict[str, Any]:
        return {key: output.value for key, output in self.workspace(component, name).outputs().items()}

    def variables(
        self,
        component: str,
        name: str = "development",
        *,
        image_tag: str = FIRST_IMAGE_TAG,
        ami_id: str | None = None,
        network_from: str | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """The variables the component module computes from the upstream outputs in state.

        `network_from`: take the connectors outputs of another environment (the rehearsal deploys a second
        environment's databases and app into the first one's network to save its ~100 s connectors apply).
        """
        env = self.environment(name)
        if component == "connectors":
            values = connectors.variables(env)
        else:
            upstream = self.outputs("connectors", network_from or name)
            if component == "databases":
                values = databases.variables(env, upstream, ami_id or self.neo4j_ami(name))
            else:
                values = app.variables(env, upstream, self.outputs("databases", name), image_tag)
        return {**values, **overrides}

    def plan(
        self, component: str, name: str = "development", variables: dict[str, Any] | None = None, **kw: Any
    ) -> PlanSummary:
        variables = variables if variables is not None else self.variables(component, name)
        path = self.terraform.plan_path(
            self.environment(name), component, f"{time.monotonic_ns()}", "rehearsal"
        )
        started = time.monotonic()
        plan = self.workspace(component, name).plan(path, variables, **kw)
        self._time(f"{name}/{component} plan", started)
        return plan

    def apply(
        self, component: str, name: str = "development", variables: dict[str, Any] | None = None
    ) -> tuple[PlanSummary, ApplySummary]:
        """Plan, then apply that saved plan (the engine applies only plans with changes)."""
        plan = self.plan(component, name, variables)
        started = time.monotonic()
        applied = self.workspace(component, name).apply(plan)
        self._time(f"{name}/{component} apply", started)
        return plan, applied

    def deploy(
        self, name: str = "development", *, image_tag: str = FIRST_IMAGE_TAG, network_from: str | None = None
    ) -> dict[str, dict[str, Any]]:
        """The first deploy of an environment: connectors, databases, app; their outputs by component."""
        self.prepare(name)
        if network_from is None:
            self.apply("connectors", name)
        self.apply("databases", name, self.variables("databases", name, network_from=network_from))
        self.apply("app", name, self.variables("app", name, image_tag=image_tag, network_from=network_from))
        return {
            component: self.outputs(component, name)
            for component in (("databases", "app") if network_from else ("connectors", "databases", "app"))
        }

    def state_objects(self, name: str) -> dict[str, bytes]:
        """Every object (every version) of the environment's state bucket: what state holds, in any form."""
        s3 = self.client("s3", name)
        bucket = self.environment(name).state.bucket
        found = {}
        for version in s3.list_object_versions(Bucket=bucket).get("Versions", []):
            body = s3.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])["Body"]
            found[f"{version['Key']}@{version['VersionId']}"] = body.read()
        return found

    def _time(self, key: str, started: float) -> None:
        self.timings.setdefault(key, []).append(round(time.monotonic() - started, 1))

    def write_timings(self) -> Path:
        path = self.work_dir / "rehearsal-timings.json"
        path.write_text(json.dumps(self.timings, indent=2, sort_keys=True))
        return path


@contextmanager
def rehearsal_world(directory: Path, log: Callable[[str], None] | None = None) -> Iterator[RehearsalWorld]:
    """Start the rehearsal's moto and yield the world; stop moto afterwards (nothing else is left running)."""
    started = time.monotonic()
    directory.mkdir(parents=True, exist_ok=True)
    # The package's server (REHEARSAL_MOTO_ENV and moto's missing AWS behaviours); PYTHONPATH finds our module.
    with MotoProcess({"PYTHONPATH": str(PROJECT_ROOT)}) as server:
        world = RehearsalWorld(
            moto=server,
            terraform=TerraformResource(
                roots_dir=str(PROJECT_ROOT / "terraform"),
                work_dir=str(directory / "work"),
                s3_endpoint_url=server.endpoint_url,
            ),
            environments=load_environments(rehearsal_environments_file(directory)),
            work_dir=directory,
            log=log or (lambda line: None),
        )
        world._time("moto start", started)
        try:
            yield world
        finally:
            world.write_timings()


@dataclass
class Deployed:
    """An environment after its first deploy in the rehearsal: the world and each root's outputs."""

    world: RehearsalWorld
    name: str
    outputs: dict[str, dict[str, Any]]


@pytest.fixture(scope="session")
def rehearsal(
    hermetic_environment: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RehearsalWorld]:
    """The rehearsal's moto and engine for the whole session (nothing deployed yet); moto stops at the end.

    The seconds of every step are left in test-artifacts/rehearsal-timings.json (git-ignored; no secrets).
    """
    with rehearsal_world(tmp_path_factory.mktemp("rehearsal")) as world:
        yield world
    artifacts = PROJECT_ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "rehearsal-timings.json").write_text(json.dumps(world.timings, indent=2, sort_keys=True))


@pytest.fixture(scope="session")
def rehearsal_development(rehearsal: RehearsalWorld) -> Deployed:
    """development deployed once (connectors -> databases -> app, image FIRST_IMAGE_TAG). Read it, never change
    it: tests that change an environment deploy their own (`Deployed` of another environment)."""
    started = time.monotonic()
    outputs = rehearsal.deploy("development")
    rehearsal._time("development first deploy", started)
    return Deployed(rehearsal, "development", outputs)


@pytest.fixture(scope="session")
def rehearsal_staging(rehearsal: RehearsalWorld, rehearsal_development: Deployed) -> Deployed:
    """staging's databases and app deployed once into development's network (`network_from`, saving the
    connectors apply). tests/test_rehearsal_changes.py changes it (each test leaves it as staging's settings
    describe it); every other test only reads it."""
    started = time.monotonic()
    outputs = rehearsal.deploy("staging", network_from="development")
    rehearsal._time("staging first deploy (no connectors)", started)
    return Deployed(rehearsal, "staging", outputs)
