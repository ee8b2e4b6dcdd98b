"""The Environment model and the loader of environments.yaml.

Environments are data: every asset, job, check and trigger is built per entry of the file, so adding an
environment is adding an entry, never code. The loader turns pydantic's errors into one message that names
the file, the environment and the field, because that message is what `dagster definitions validate` shows.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ENVIRONMENTS_FILE = PROJECT_ROOT / "environments.yaml"
ENVIRONMENTS_FILE_VAR = "CREDEX_ENVIRONMENTS_FILE"

Component = Literal["connectors", "databases", "app"]
COMPONENTS: tuple[Component, ...] = ("connectors", "databases", "app")
# What each component reads from: a change to a component redeploys the components after it.
COMPONENT_UPSTREAMS: dict[str, tuple[str, ...]] = {
    "connectors": (),
    "databases": ("connectors",),
    "app": ("connectors", "databases"),
}
Edition = Literal["community", "enterprise"]
EDITIONS: tuple[Edition, ...] = ("community", "enterprise")

# Fargate's valid cpu -> memory (MiB) combinations.
_FARGATE_MEMORY = {
    256: {512, 1024, 2048},
    512: set(range(1024, 4097, 1024)),
    1024: set(range(2048, 8193, 1024)),
    2048: set(range(4096, 16385, 1024)),
    4096: set(range(8192, 30721, 1024)),
}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,19}$")


class EnvironmentsFileError(ValueError):
    """The environments file is missing, malformed or invalid."""


class UnknownEnvironmentError(KeyError):
    """An environment name that the environments file does not define."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want the sentence.
        return str(self.args[0])


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@functools.cache
def known_regions() -> frozenset[str]:
    """Every region botocore's bundled endpoint data knows, in every partition (no network call)."""
    import botocore.session

    session = botocore.session.get_session()
    return frozenset(
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("ec2", partition_name=partition)
    )


def _real_region(value: str | None) -> str | None:
    if value is not None and value not in known_regions():
        raise ValueError(f"{value!r} is not an AWS region (e.g. af-south-1, eu-west-1)")
    return value


class AwsSettings(_Model):
    region: str = Field("af-south-1", description="AWS region of every resource of the environment.")

    _region = field_validator("region")(classmethod(lambda cls, value: _real_region(value)))
    account: str | None = Field(None, description="Label of the AWS account (e.g. shared-nonprod).")
    account_id: str | None = Field(
        None,
        pattern=r"^\d{12}$",
        description="When set, every run checks that its credentials belong to this account before acting.",
    )
    role_arn: str | None = Field(
        None,
        pattern=r"^arn:aws:iam::\d{12}:role/.+$",
        description="Role to assume for this environment's deploys (the deployment user's role).",
    )


class StateSettings(_Model):
    backend: Literal["s3", "local"] = Field(
        "s3", description="s3 for real environments; local keeps state on disk (tests, demos)."
    )
    bucket: str | None = Field(None, description="S3 bucket of the Terraform state (s3 backend).")
    region: str | None = Field(None, description="Region of the state bucket; defaults to aws.region.")
    use_lockfile: bool = Field(True, description="S3 native lock file (Terraform 1.10+).")
    lock_timeout_seconds: int = Field(
        300, ge=0, le=3600, description="How long to wait for the state lock before failing."
    )
    local_dir: str | None = Field(
        None, description="Directory of local state (local backend); relative to the Terraform work dir."
    )

    _region = field_validator("region")(classmethod(lambda cls, value: _real_region(value)))

    @model_validator(mode="after")
    def _bucket_for_s3(self) -> StateSettings:
        if self.backend == "s3" and not self.bucket:
            raise ValueError("bucket is required when backend is s3")
        return self


class NetworkSettings(_Model):
    vpc_cidr: str = Field(description="CIDR block of the environment's VPC.")
    nat_gateway_count: int = Field(1, ge=1, le=2, description="NAT gateways (one per AZ at most).")

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        network = ipaddress.ip_network(value, strict=True)
        if network.version != 4 or not 16 <= network.prefixlen <= 24:
            raise ValueError("must be an IPv4 CIDR between /16 and /24")
        return value


class AppSettings(_Model):
    node_env: str = Field(description="NODE_ENV of the container.")
    cpu: int = Field(description="Fargate task CPU units.")
    memory: int = Field(description="Fargate task memory in MiB.")
    desired_count: int = Field(1, ge=0, le=20, description="Desired number of running tasks.")
    container_port: int = Field(3000, ge=1, le=65535)
    health_check_grace_seconds: int = Field(120, ge=0, le=3600)
    log_retention_days: int = Field(30, ge=1)
    first_image_tag: str | None = Field(
        None,
        pattern=r"^[0-9a-f]{7,40}$",
        description=(
            "Image tag (git SHA) a first deploy runs when the run names no git_sha; unset, a first deploy "
            "must name one. The rehearsal sets it so that Materialize works on a fresh environment."
        ),
    )
    alarm_subscriptions: tuple[str, ...] = Field(
        (),
        description="Who the environment's alarm topic notifies: mailto:<address> or https://<url> entries.",
    )

    @field_validator("alarm_subscriptions")
    @classmethod
    def _alarm_endpoints(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for endpoint in value:
            if not re.fullmatch(r"mailto:[^@\s]+@[^@\s]+|https://\S+", endpoint):
                raise ValueError(f"{endpoint!r} is neither mailto:<address> nor https://<url>")
        return value

    @model_validator(mode="after")
    def _fargate_size(self) -> AppSettings:
        allowed = _FARGATE_MEMORY.get(self.cpu)
        if allowed is None:
            raise ValueError(f"cpu {self.cpu} is not a Fargate size (one of {sorted(_FARGATE_MEMORY)})")
        if self.memory not in allowed:
            raise ValueError(f"memory {self.memory} is not valid with cpu {self.cpu} on Fargate")
        return self


class Neo4jSettings(_Model):
    edition: Edition = Field(description="community or enterprise (startup licence: production only).")
    instance_type: str = Field(pattern=r"^[a-z][a-z0-9]*\.[a-z0-9]+$")
    volume_size_gb: int = Field(ge=10, le=16384, description="Size of each instance's gp3 data volume.")
    ami_id: str | None = Field(
        None,
        pattern=r"^ami-[0-9a-f]{8,17}$",
        description="Pin a Neo4j AMI for this environment instead of the latest neo4j_ami materialisation.",
    )


class HealthSettings(_Model):
    path: str = "/health"
    consecutive: int = Field(3, ge=1, le=50, description="Consecutive healthy answers required.")
    latency_budget_ms: int = Field(1000, ge=1, description="Each answer must come within this budget.")


class BenchmarkSettings(_Model):
    path: str = "/health"
    # The API's rate limiter allows 50 requests a minute per source address, shared by every check of a run:
    # the run's request budget (verification/rate_limit.py) caps this number to what the app's headers allow.
    requests: int = Field(30, ge=1, le=10000, description="Requests of the benchmark, at most.")
    concurrency: int = Field(4, ge=1, le=64)
    duration_seconds: float = Field(30, gt=0, le=600, description="Upper bound on the benchmark's time.")
    max_p95_ms: float = Field(800, gt=0)
    max_p99_ms: float = Field(1500, gt=0)
    max_error_rate: float = Field(0.01, ge=0, le=1)
    min_throughput_rps: float = Field(0.5, ge=0)
    max_p50_ms: float = Field(400, gt=0)
    min_measured_fraction: float = Field(
        0.8, gt=0, le=1, description="Below this share of non-429 answers the benchmark measured too little."
    )
    rate_per_second: float = Field(
        1.0,
        gt=0,
        le=100,
        description="Steady request rate: request i is sent i / rate seconds after the first.",
    )
    min_requests: int = Field(
        10,
        ge=1,
        le=10000,
        description="Fewest answers that make a verdict (at most `requests`); fewer for want of budget: "
        "inconclusive.",
    )

    @model_validator(mode="after")
    def _rate_reaches_throughput(self) -> BenchmarkSettings:
        # At a steady rate the throughput is the rate: a lower rate could never pass the threshold.
        if self.rate_per_second < self.min_throughput_rps:
            raise ValueError(
                f"rate_per_second {self.rate_per_second:g} is below min_throughput_rps {self.min_throughput_rps:g}"
            )
        return self


class RateLimitSettings(_Model):
    """The app's rate limiter as verification must respect it (docs/decisions/0110)."""

    window_seconds: float = Field(
        60,
        gt=0,
        le=3600,
        description="The limiter's window: its budget is whole again at most this long after.",
    )
    reserve_requests: int = Field(
        10,
        ge=0,
        le=1000,
        description="Requests of the budget verification never spends: the load balancer's health checks and "
        "users share it (one budget per source address).",
    )
    max_wait_seconds: float = Field(
        75,
        ge=0,
        le=3600,
        description="How long one check may wait for budget (a 429's Retry-After or a window reset); past it "
        "the check ends inconclusive, a warning.",
    )


class VerificationSettings(_Model):
    rollout_timeout_seconds: float = Field(600, gt=0, description="Bound on waiting for a stable rollout.")
    poll_interval_seconds: float = Field(10, gt=0)
    health: HealthSettings = HealthSettings()
    benchmark: BenchmarkSettings = BenchmarkSettings()
    rate_limit: RateLimitSettings = RateLimitSettings()
    benchmark_blocking: bool = Field(True, description="A failed benchmark fails the run (else a warning).")
    integration_read_only: bool = Field(False, description="Run only tests that create no data.")
    enabled: bool = Field(
        True,
        description="false builds no post-deploy checks (an environment's first build only); production refuses.",
    )
    request_timeout_seconds: float = Field(
        10, gt=0, description="Timeout of each HTTP request of the checks."
    )
    integration_timeout_seconds: float = Field(300, gt=0, description="Bound on the integration suite's run.")
    log_lines: int = Field(
        20, ge=0, le=200, description="Last log lines put into a failed rollout's metadata."
    )


class TriggerSettings(_Model):
    quiet_windows_utc: tuple[str, ...] = Field(
        ("23:45-00:30",),
        description=(
            "UTC windows (HH:MM-HH:MM, may wrap midnight) in which automatic deploys wait: credex-core's DCO "
            "job runs at 00:00 UTC and deploys belong after it, not during it."
        ),
    )

    @field_validator("quiet_windows_utc")
    @classmethod
    def _windows(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for window in value:
            if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d", window):
                raise ValueError(f"{window!r} is not a UTC window HH:MM-HH:MM")
        return value


class Environment(_Model):
    name: str
    branch: str = Field(pattern=r"^[A-Za-z0-9._/-]+$", description="credex-core branch deployed here.")
    auto_deploy: bool = Field(False, description="Whether a push to the branch deploys automatically.")
    notice: str = Field(
        "",
        description="Shown in the description of every asset of the environment (the rehearsal names itself).",
    )
    protected: bool = Field(
        False,
        description=(
            "A protected environment (production) is deployed only from its own branch or with "
            "confirm_environment set to its name, always verified, with read-only integration tests; "
            "replacing its databases and deleting its orphans need the same confirmation."
        ),
    )
    promote_from: str | None = Field(
        None,
        description=(
            "Environment whose verified deploys this one promotes: an image or Terraform root deploys here "
            "only after it passed that environment's checks (docs/decisions/0122-promotion.md)."
        ),
    )
    aws: AwsSettings = AwsSettings()
    state: StateSettings
    network: NetworkSettings
    app: AppSettings
    neo4j: Neo4jSettings
    domain: str = Field(pattern=r"^[a-z0-9.-]+\.[a-z]{2,}$")
    base_url: str = Field(pattern=r"^https?://[^\s/]+(:\d+)?(/.*)?$")
    verification: VerificationSettings = VerificationSettings()
    triggers: TriggerSettings = TriggerSettings()
    backups: BackupSettings = Field(default_factory=lambda: BackupSettings())
    database_rollout: DatabaseRolloutSettings = Field(default_factory=lambda: DatabaseRolloutSettings())
    automation: AutomationSettings = Field(default_factory=lambda: AutomationSettings())

    @model_validator(mode="after")
    def _protected_is_verified(self) -> Environment:
        if self.protected and not self.verification.enabled:
            raise ValueError(
                "verification.enabled: a protected environment is always verified after a deploy"
            )
        return self

    @property
    def slug(self) -> str:
        """The name as AWS resource names allow it (no underscores)."""
        return self.name.replace("_", "-")

    @property
    def state_region(self) -> str:
        return self.state.region or self.aws.region


class Environments(Mapping[str, Environment]):
    """The validated environments, in file order; indexing an unknown name says which exist."""

    def __init__(self, environments: dict[str, Environment], source: Path) -> None:
        self._environments = environments
        self.source = source

    def __getitem__(self, name: str) -> Environment:
        try:
            return self._environments[name]
        except KeyError:
            known = ", ".join(self._environments) or "none"
            raise UnknownEnvironmentError(
                f"unknown environment {name!r} (defined in {self.source}: {known})"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._environments)

    def __len__(self) -> int:
        return len(self._environments)

    def by_branch(self, branch: str) -> Environment | None:
        return next((env for env in self._environments.values() if env.branch == branch), None)


def environments_file() -> Path:
    """The environments file: $CREDEX_ENVIRONMENTS_FILE, else the checked-in one."""
    return Path(os.environ.get(ENVIRONMENTS_FILE_VAR) or DEFAULT_ENVIRONMENTS_FILE)


def _field_path(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "(entry)"


def parse_environments(raw: object, source: Path) -> Environments:
    """Validate parsed YAML; every error names the file, the environment and the field."""
    if not isinstance(raw, dict) or not isinstance(raw.get("environments"), dict):
        raise EnvironmentsFileError(f"{source}: expected a mapping with a top-level 'environments' mapping")
    unknown_top = set(raw) - {"environments"}
    if unknown_top:
        raise EnvironmentsFileError(f"{source}: unknown top-level key(s): {', '.join(sorted(unknown_top))}")
    entries: dict[str, Environment] = {}
    problems: list[str] = []
    for name, body in raw["environments"].items():
        if not isinstance(name, str) or not _NAME.match(name):
            problems.append(
                f"{source}: environment {name!r}: the name must be lower case letters, digits and '_'"
                " (at most 20 characters, starting with a letter)"
            )
            continue
        if not isinstance(body, dict):
            problems.append(f"{source}: environment {name!r}: expected a mapping of settings")
            continue
        if "name" in body:
            problems.append(f"{source}: environment {name!r}, field 'name': the entry's key is its name")
            continue
        try:
            entries[name] = Environment(name=name, **body)
        except ValidationError as error:
            for detail in error.errors():
                problems.append(
                    f"{source}: environment {name!r}, field {_field_path(detail['loc'])!r}: {detail['msg']}"
                )
    problems.extend(_cross_checks(entries, source))
    if problems:
        raise EnvironmentsFileError("invalid environments file:\n  " + "\n  ".join(problems))
    if not entries:
        raise EnvironmentsFileError(f"{source}: no environments defined")
    return Environments(entries, source)


def _cross_checks(entries: dict[str, Environment], source: Path) -> list[str]:
    """Settings that must differ between environments (shared accounts rely on it)."""
    problems = _promotion_checks(entries, source)
    for field, value_of in (
        ("branch", lambda env: env.branch),
        ("network.vpc_cidr", lambda env: env.network.vpc_cidr),
        ("state.bucket", lambda env: env.state.bucket),
        ("domain", lambda env: env.domain),
    ):
        seen: dict[object, str] = {}
        for env in entries.values():
            value = value_of(env)
            if value is None:
                continue
            if value in seen:
                problems.append(
                    f"{source}: environment {env.name!r}, field {field!r}: {value!r} is already used by"
                    f" environment {seen[value]!r}"
                )
            seen[value] = env.name
    return problems + _overlapping_networks(entries, source)


def _overlapping_networks(entries: dict[str, Environment], source: Path) -> list[str]:
    """VPC CIDRs of two environments must not overlap (peering, shared accounts, routes to each other)."""
    problems = []
    named = [(env.name, ipaddress.ip_network(env.network.vpc_cidr)) for env in entries.values()]
    for index, (name, network) in enumerate(named):
        for other, other_network in named[:index]:
            if network != other_network and network.overlaps(other_network):
                problems.append(
                    f"{source}: environment {name!r}, field 'network.vpc_cidr': {network} overlaps "
                    f"{other_network} of environment {other!r}"
                )
    return problems


def _promotion_checks(entries: dict[str, Environment], source: Path) -> list[str]:
    """`promote_from` names another environment, without cycles."""
    problems = []
    for env in entries.values():
        origin = env.promote_from
        if origin is None:
            continue
        where = f"{source}: environment {env.name!r}, field 'promote_from'"
        if origin == env.name:
            problems.append(f"{where}: an environment cannot promote from itself")
        elif origin not in entries:
            problems.append(f"{where}: unknown environment {origin!r} (defined: {', '.join(entries)})")
        else:
            chain, current = [env.name], origin
            while current is not None and current not in chain:
                chain.append(current)
                current = entries[current].promote_from if current in entries else None
            if current is not None:
                problems.append(f"{where}: promotion cycle {' -> '.join([*chain, current])}")
    return problems


def load_environments(path: Path | str | None = None) -> Environments:
    """Read and validate the environments file (default: `environments_file()`)."""
    source = Path(path) if path is not None else environments_file()
    try:
        text = source.read_text()
    except FileNotFoundError:
        raise EnvironmentsFileError(f"environments file not found: {source}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise EnvironmentsFileError(f"{source}: not valid YAML: {error}") from None
    return parse_environments(raw, source)


class BackupSettings(_Model):
    """Scheduled EBS snapshots of the Neo4j data volumes and how long they are kept."""

    enabled: bool = Field(True, description="Whether the daily backup schedule snapshots this environment.")
    cron: str = Field("0 2 * * *", description="When the daily backup runs (UTC; after the 00:00 DCO).")
    keep_daily: int = Field(7, ge=1, le=90, description="Newest daily snapshots kept per volume.")
    keep_weekly: int = Field(
        4, ge=0, le=104, description="Weekly snapshots (newest of each week) kept beyond."
    )
    max_age_hours: float = Field(28, gt=0, description="The freshness check fails when the newest is older.")
    snapshot_timeout_seconds: float = Field(1800, gt=0)
    poll_interval_seconds: float = Field(15, gt=0)


class AutomationSettings(_Model):
    """What of this environment runs on its own once an instance loads the code location (decision 0151)."""

    schedules_running: bool = Field(
        False,
        description="The environment's schedules start RUNNING, on an instance that sets "
        "CREDEX_AUTOMATION=environments-file (the production instance); everywhere else they start STOPPED.",
    )


class DatabaseRolloutSettings(_Model):
    """How a Neo4j instance replacement waits for each instance to be healthy before the next."""

    health_timeout_seconds: float = Field(900, gt=0)
    poll_interval_seconds: float = Field(15, gt=0)


Environment.model_rebuild()
