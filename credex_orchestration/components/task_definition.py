"""The app root's task-definition template and the check of its placeholders.

Terraform's `templatefile()` fails on a placeholder it is given no value for, but silently ignores a value
the template no longer uses (a dropped `${image}` would deploy without the image tag). This check names
both kinds before Terraform runs: tests run it on the checked-in template, and it can be run by hand
(`python -m credex_orchestration.components.task_definition`).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path

from ..environments import PROJECT_ROOT

TEMPLATE = PROJECT_ROOT / "terraform" / "app" / "task-definition.json"
# The keys of `local.task_definition_vars` in terraform/app/task_definition.tf (a test holds them equal).
TEMPLATE_VARIABLES = (
    "family",
    "container_name",
    "image",
    "cpu",
    "memory",
    "execution_role_arn",
    "task_role_arn",
    "node_env",
    "container_port",
    "log_group",
    "region",
    "neo4j_secret_arn",
    "app_secret_arn",
)
# Secrets the container receives through `secrets`/`valueFrom`, and the secret key each one reads.
NEO4J_SECRETS = {
    "NEO_4J_LEDGER_SPACE_BOLT_URL": "ledgerspacebolturl",
    "NEO_4J_LEDGER_SPACE_USER": "ledgerspaceuser",
    "NEO_4J_LEDGER_SPACE_PASS": "ledgerspacepass",
    "NEO_4J_SEARCH_SPACE_BOLT_URL": "searchspacebolturl",
    "NEO_4J_SEARCH_SPACE_USER": "searchspaceuser",
    "NEO_4J_SEARCH_SPACE_PASS": "searchspacepass",
}
APP_SECRETS = ("JWT_SECRET", "OPEN_EXCHANGE_RATES_API", "CLIENT_API_KEY", "WHATSAPP_BOT_API_KEY")
# `${name}` interpolations; `$${` is Terraform's escape for a literal `${`.
_PLACEHOLDER = re.compile(r"(?<!\$)\$\{\s*([^}]*?)\s*\}")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


class TemplatePlaceholderError(ValueError):
    """The template and the variables passed to it disagree; the message names each placeholder."""


def placeholders(text: str) -> set[str]:
    """Names interpolated by the template. Expressions other than a bare name are refused by name."""
    names = set()
    for match in _PLACEHOLDER.finditer(text):
        expression = match.group(1)
        if not _IDENTIFIER.match(expression):
            line = text.count("\n", 0, match.start()) + 1
            raise TemplatePlaceholderError(
                f"line {line}: placeholder ${{{expression}}} is not a plain variable name"
            )
        names.add(expression)
    return names


def check_placeholders(template: Path = TEMPLATE, passed: Iterable[str] = TEMPLATE_VARIABLES) -> None:
    """Raise when the template uses a placeholder nobody passes, or a passed variable is not used."""
    used = placeholders(template.read_text())
    given = set(passed)
    problems = []
    if unknown := sorted(used - given):
        problems.append("unknown placeholder(s) with no value passed: " + ", ".join(unknown))
    if missing := sorted(given - used):
        problems.append("variable(s) passed but missing from the template: " + ", ".join(missing))
    if problems:
        raise TemplatePlaceholderError(f"{template}: " + "; ".join(problems))


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else TEMPLATE
    try:
        check_placeholders(path)
    except TemplatePlaceholderError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"{path}: placeholders match the app root's variables")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
