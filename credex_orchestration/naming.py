"""Every AWS name and tag of credex-core, from one place.

The Terraform roots compute the same names from `var.environment`; tests parse the roots and hold them to
these functions, so a rename happens here first.
"""

from __future__ import annotations

from .environments import Environment

PROJECT_TAG = "credex-core"
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


def neo4j_secret(env: Environment) -> str:
    """`neo4j_prod_secrets`, `neo4j_stage_secrets`, `neo4j_dev_secrets`, else `neo4j_<env>_secrets`."""
    return f"neo4j_{_SECRET_SHORT_NAMES.get(env.name, env.name)}_secrets"


def app_secret(env: Environment) -> str:
    """Secrets Manager secret holding the app's own secrets (JWT_SECRET, API keys)."""
    return f"credex-core-app-secrets-{env.slug}"


def deployment_user(env: Environment) -> str:
    return f"credex-core-{env.slug}-deployment"
