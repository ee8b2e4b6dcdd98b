"""Every name, from one place: AWS names and tags of credex-core, and the Dagster names (asset keys, jobs,
ops, run tags) of this code location.

The Terraform roots compute the same names from `var.environment`; tests parse the roots and hold them to
these functions, so a rename happens here first.
"""

from __future__ import annotations

from dagster import AssetKey

from .environments import Environment

PROJECT_TAG = "credex-core"
# The Project values the old system's workflows drifted between: its resources are ours to import (and are
# retagged PROJECT_TAG by the import's apply); any other value is another project's (decision 0165).
FORMER_PROJECT_TAGS = ("CredEx", "Credex")
MANAGED_BY_TAG = "terraform"
# The seeds' secret names use the branch-style short names.
_SECRET_SHORT_NAMES = {"production": "prod", "staging": "stage", "development": "dev"}


def workspace(component: str, environment: str) -> str:
    """Terraform workspace `<component>_<environment>` (the seeds' naming)."""
    return f"{component}_{environment}"


def common_tags(env: Environment, component: str) -> dict[str, str]:
    """Tags on every taggable resource; cleanup relies on them to stay inside one environment."""
    return {
        "Project": PROJECT_TAG,
        "Environment": env.name,
        "Component": component,
        "ManagedBy": MANAGED_BY_TAG,
    }


def state_bucket(env: Environment) -> str:
    return f"credex-terraform-state-{env.slug}"


def vpc(env: Environment) -> str:
    return f"credex-vpc-{env.slug}"


def alb(env: Environment) -> str:
    return f"credex-alb-{env.slug}"


def target_group(env: Environment) -> str:
    return f"credex-tg-{env.slug}"


def alb_security_group(env: Environment) -> str:
    return f"credex-alb-sg-{env.slug}"


def ecs_tasks_security_group(env: Environment) -> str:
    return f"credex-core-ecs-tasks-sg-{env.slug}"


def neo4j_security_group(env: Environment) -> str:
    return f"credex-neo4j-sg-{env.slug}"


def key_pair(env: Environment) -> str:
    return f"credex-key-pair-{env.slug}"


def ecr_repository(env: Environment) -> str:
    return f"credex-core-{env.slug}"


def ecs_cluster(env: Environment) -> str:
    return f"credex-cluster-{env.slug}"


def ecs_service(env: Environment) -> str:
    return f"credex-core-service-{env.slug}"


def task_family(env: Environment) -> str:
    return f"credex-core-{env.slug}"


CONTAINER_NAME = "credex-core"


def log_group(env: Environment) -> str:
    return f"/ecs/credex-core-{env.slug}"


def neo4j_instance(env: Environment, space: str) -> str:
    """`Neo4j-LedgerSpace-<env>` / `Neo4j-SearchSpace-<env>`."""
    if space not in ("LedgerSpace", "SearchSpace"):
        raise ValueError(f"unknown Neo4j space {space!r} (LedgerSpace or SearchSpace)")
    return f"Neo4j-{space}-{env.slug}"


# The keys of every environment's Neo4j secret, exactly (the seeds' contract with credex-core).
NEO4J_SECRET_KEYS = (
    "ledgerspacebolturl",
    "ledgerspaceuser",
    "ledgerspacepass",
    "searchspacebolturl",
    "searchspaceuser",
    "searchspacepass",
)


def neo4j_secret(env: Environment) -> str:
    """`neo4j_prod_secrets`, `neo4j_stage_secrets`, `neo4j_dev_secrets`, else `neo4j_<env>_secrets`."""
    return f"neo4j_{_SECRET_SHORT_NAMES.get(env.name, env.name)}_secrets"


def app_secret(env: Environment) -> str:
    """Secrets Manager secret holding the app's own secrets (JWT_SECRET, API keys)."""
    return f"credex-core-app-secrets-{env.slug}"


def deployment_user(env: Environment) -> str:
    return f"credex-core-{env.slug}-deployment"


# Names the Terraform roots form beyond the ones above (tests compare `terraform_names` with each root's
# `local.names`, evaluated by Terraform, for every environment).
AZ_COUNT = 2


def _numbered(prefix: str, env: Environment, count: int = AZ_COUNT) -> list[str]:
    return [f"{prefix}-{env.slug}-{index + 1}" for index in range(count)]


def neo4j_data_volume(env: Environment, space: str) -> str:
    """`Neo4j-LedgerSpace-data-<env>` / `Neo4j-SearchSpace-data-<env>`: the instance's EBS data volume."""
    neo4j_instance(env, space)  # validates the space
    return f"Neo4j-{space}-data-{env.slug}"


def neo4j_licence_secret(env: Environment) -> str:
    """Secret holding the Neo4j Enterprise licence; the instances fetch it at boot through their role."""
    return f"credex-neo4j-licence-{env.slug}"


def neo4j_instance_role(env: Environment) -> str:
    return f"credex-neo4j-role-{env.slug}"


def neo4j_instance_profile(env: Environment) -> str:
    return f"credex-neo4j-profile-{env.slug}"


def execution_role(env: Environment) -> str:
    return f"credex-core-execution-role-{env.slug}"


def task_role(env: Environment) -> str:
    return f"credex-core-task-role-{env.slug}"


def alarm(env: Environment, kind: str) -> str:
    """`credex-core-<kind>-<env>` for kind cpu-high, memory-high, running-tasks-low."""
    return f"credex-core-{kind}-{env.slug}"


def alarm_topic(env: Environment) -> str:
    """SNS topic every CloudWatch alarm of the environment notifies."""
    return f"credex-core-alarms-{env.slug}"


def terraform_names(env: Environment, component: str) -> dict[str, str | list[str]]:
    """The `local.names` map of the component's Terraform root, key by key."""
    slug = env.slug
    if component == "connectors":
        return {
            "vpc": vpc(env),
            "public_subnets": _numbered("credex-public-subnet", env),
            "private_subnets": _numbered("credex-private-subnet", env),
            "internet_gateway": f"credex-igw-{slug}",
            "nat_gateways": _numbered("credex-nat", env),
            "nat_eips": _numbered("credex-nat-eip", env),
            "public_route_table": f"credex-public-rt-{slug}",
            "private_route_tables": _numbered("credex-private-rt", env),
            "alb_security_group": alb_security_group(env),
            "ecs_tasks_security_group": ecs_tasks_security_group(env),
            "neo4j_security_group": neo4j_security_group(env),
            "alb": alb(env),
            "target_group": target_group(env),
            "https_listener": f"credex-https-{slug}",
            "http_listener": f"credex-http-{slug}",
            "certificate": f"credex-cert-{slug}",
            "ecr_repository": ecr_repository(env),
        }
    if component == "databases":
        return {
            "ledgerspace_instance": neo4j_instance(env, "LedgerSpace"),
            "searchspace_instance": neo4j_instance(env, "SearchSpace"),
            "ledgerspace_data_volume": neo4j_data_volume(env, "LedgerSpace"),
            "searchspace_data_volume": neo4j_data_volume(env, "SearchSpace"),
            "neo4j_secret": neo4j_secret(env),
            "neo4j_licence_secret": neo4j_licence_secret(env),
            "neo4j_role": neo4j_instance_role(env),
            "neo4j_instance_profile": neo4j_instance_profile(env),
            "neo4j_secrets_policy": f"credex-neo4j-secrets-{slug}",
        }
    if component == "app":
        return {
            "ecs_cluster": ecs_cluster(env),
            "ecs_service": ecs_service(env),
            "task_family": task_family(env),
            "container": CONTAINER_NAME,
            "log_group": log_group(env),
            "ecr_repository": ecr_repository(env),
            "app_secret": app_secret(env),
            "execution_role": execution_role(env),
            "execution_policy": f"credex-core-execution-{slug}",
            "task_role": task_role(env),
            "cpu_alarm": alarm(env, "cpu-high"),
            "memory_alarm": alarm(env, "memory-high"),
            "running_tasks_alarm": alarm(env, "running-tasks-low"),
            "alarm_topic": alarm_topic(env),
        }
    raise ValueError(f"unknown component {component!r} (connectors, databases or app)")


# ----- Dagster names ---------------------------------------------------------------------------------------
# Run tags. Every run that plans, applies, imports, deletes or unlocks in an environment carries
# ENVIRONMENT_TAG: the run queue allows one such run per environment at a time.
ENVIRONMENT_TAG = "credex/environment"
KIND_TAG = "credex/kind"
COMPONENT_TAG = "credex/component"
TRIGGER_TAG = "credex/trigger"
BRANCH_TAG = "credex/branch"
SHA_TAG = "credex/sha"
EDITION_TAG = "credex/edition"
NEO4J_VERSION_TAG = "credex/neo4j-version"
VERIFICATION_TAG = "credex/verification"
BRANCH_PUSH_TRIGGER = "branch-push"

DEPLOY_POLICY_KEY = AssetKey(["iam", "deploy_policy"])


def environment_pool(environment: str) -> str:
    """Dagster concurrency pool of everything that plans, applies, imports, deletes or unlocks in an
    environment: the instance gives each pool one slot, so one such step runs at a time per environment,
    whatever started it (docs/decisions/0140-one-writer-per-environment.md)."""
    return f"credex-environment-{environment}"


def component_key(environment: str, component: str) -> AssetKey:
    """`<env>/<component>`: connectors, databases or app of one environment."""
    return AssetKey([environment, component])


def ami_key(edition: str) -> AssetKey:
    """`neo4j_ami/<edition>`: the Neo4j AMI the databases of that edition run."""
    return AssetKey(["neo4j_ami", edition])


def backups_key(environment: str) -> AssetKey:
    return AssetKey([environment, "database_backups"])


def verified_revision_parameter(environment: str) -> str:
    """SSM parameter holding the app revision that last passed every blocking check (JSON)."""
    return f"/credex/{environment}/app/last-verified"


def live_revision_parameter(environment: str) -> str:
    """SSM parameter holding the app revision the service runs after the last verification or rollback."""
    return f"/credex/{environment}/app/live"


def orphans_key(environment: str) -> AssetKey:
    """`<env>/orphans`: observations of what each cleanup found orphaned (when each was first seen)."""
    return AssetKey([environment, "orphans"])


def deployment_user_key(environment: str) -> AssetKey:
    return AssetKey([environment, "deployment_user"])


def op_name(environment: str, component: str) -> str:
    """Op name of asset `<environment>/<component>` (Dagster joins key parts with `__`)."""
    return f"{environment}__{component}"


def deploy_job(environment: str) -> str:
    return f"deploy_{environment}"


def verify_job(environment: str) -> str:
    return f"verify_{environment}"


def cleanup_job(environment: str) -> str:
    return f"cleanup_{environment}"


def unlock_job(environment: str) -> str:
    return f"unlock_{environment}"


def backup_job(environment: str) -> str:
    return f"backup_{environment}"


def ami_build_job(edition: str) -> str:
    return f"build_neo4j_ami_{edition}"


def branch_push_sensor(environment: str) -> str:
    return f"branch_push_{environment}"
