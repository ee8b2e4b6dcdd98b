"""Names and tags: each root's names.tf, evaluated by real Terraform for every environment, equals
credex_orchestration/naming.py (one source of truth for names)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from credex_orchestration import naming
from credex_orchestration.environments import COMPONENTS, DEFAULT_ENVIRONMENTS_FILE, load_environments

from .support.terraform_roots import ROOTS_DIR, apply_outputs, load_file, load_root

_MODULE_INTERFACE = """
variable "environment" {
  type = string
}

output "names" {
  value = local.names
}

output "common_tags" {
  value = local.common_tags
}
"""


@pytest.fixture(scope="module")
def evaluated_names(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, dict]]:
    """{environment: {component: {"names": ..., "common_tags": ...}}} from one Terraform apply."""
    base = tmp_path_factory.mktemp("names")
    environments = list(load_environments(DEFAULT_ENVIRONMENTS_FILE))
    blocks = []
    for component in COMPONENTS:
        module = base / component
        module.mkdir()
        shutil.copy(ROOTS_DIR / component / "names.tf", module / "names.tf")
        (module / "interface.tf").write_text(_MODULE_INTERFACE)
        blocks.append(
            f'module "{component}" {{\n  source = "./{component}"\n  for_each = toset(var.environments)\n'
            f"  environment = each.key\n}}\n"
            f'output "{component}" {{\n  value = module.{component}\n}}\n'
        )
    (base / "main.tf").write_text('variable "environments" { type = list(string) }\n' + "".join(blocks))
    (base / "vars.tfvars.json").write_text(json.dumps({"environments": environments}))
    outputs = apply_outputs(base, base / "vars.tfvars.json")
    return {env: {component: outputs[component][env] for component in COMPONENTS} for env in environments}


def test_names_files_define_only_names_and_tags() -> None:
    for component in COMPONENTS:
        parsed = load_file(ROOTS_DIR / component / "names.tf")
        assert set(parsed) == {"locals"}, f"{component}/names.tf holds locals only"
        keys = {key for block in parsed["locals"] for key in block if key != "__is_block__"}
        assert keys <= {"slug", "secret_short_name", "common_tags", "names"}, component


@pytest.mark.parametrize("environment", list(load_environments(DEFAULT_ENVIRONMENTS_FILE)))
@pytest.mark.parametrize("component", COMPONENTS)
def test_terraform_names_equal_python_naming(evaluated_names, environment: str, component: str) -> None:
    env = load_environments(DEFAULT_ENVIRONMENTS_FILE)[environment]
    evaluated = evaluated_names[environment][component]
    assert evaluated["names"] == naming.terraform_names(env, component)
    assert evaluated["common_tags"] == naming.common_tags(env, component)


def test_seed_names_for_the_checked_in_environments(evaluated_names) -> None:
    """The names the seeds and the issue fix, spelled out once (naming.py could drift with the roots)."""
    production = evaluated_names["production"]
    assert production["databases"]["names"]["neo4j_secret"] == "neo4j_prod_secrets"
    assert evaluated_names["staging"]["databases"]["names"]["neo4j_secret"] == "neo4j_stage_secrets"
    assert evaluated_names["development"]["databases"]["names"]["neo4j_secret"] == "neo4j_dev_secrets"
    assert production["connectors"]["names"]["vpc"] == "credex-vpc-production"
    assert production["databases"]["names"]["ledgerspace_instance"] == "Neo4j-LedgerSpace-production"
    assert production["app"]["names"]["ecs_service"] == "credex-core-service-production"
    assert production["app"]["names"]["log_group"] == "/ecs/credex-core-production"


def test_every_names_key_is_used_by_its_root() -> None:
    """A name nobody uses is a name that can silently drift from what AWS holds."""
    for component in COMPONENTS:
        root = load_root(ROOTS_DIR / component)
        text = "".join(
            path.read_text() for path in (ROOTS_DIR / component).glob("*.tf") if path.name != "names.tf"
        )
        unused = [key for key in root.locals["names"] if f"local.names.{key}" not in text]
        assert not unused, f"{component}: unused names {unused}"


def test_environment_with_underscore_gets_hyphenated_names(tmp_path: Path) -> None:
    """`model_001` style names: AWS names use the slug, secret names keep the environment name."""
    module = tmp_path / "databases"
    module.mkdir()
    shutil.copy(ROOTS_DIR / "databases" / "names.tf", module / "names.tf")
    (module / "interface.tf").write_text(_MODULE_INTERFACE)
    (tmp_path / "main.tf").write_text(
        'module "db" {\n  source = "./databases"\n  environment = "model_001"\n}\n'
        'output "names" {\n  value = module.db.names\n}\n'
    )
    names = apply_outputs(tmp_path)["names"]
    assert names["ledgerspace_instance"] == "Neo4j-LedgerSpace-model-001"
    assert names["neo4j_secret"] == "neo4j_model_001_secrets"
