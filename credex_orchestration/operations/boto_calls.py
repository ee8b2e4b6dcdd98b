"""The AWS API calls the package's own code makes (outside Terraform), read from its source.

A client is recognised by how the code names it: `x = <...>.client("svc")`, `<...>.client("svc").method(...)`,
or a variable, parameter or attribute named after its service (`ec2`, `ssm`, `secrets`, `self.ecs`: the
package's convention). Each call becomes the IAM action AWS checks: botocore's operation name, prefixed with
the service's signing name (`elbv2` signs as `elasticloadbalancing`); paginators and waiters count as the
operation they repeat. Used by the policy generator (iam_policy.py) and its test; imports botocore lazily.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# Variable names the package gives clients, by service.
CLIENT_NAMES = {
    "acm": "acm",
    "ec2": "ec2",
    "ecr": "ecr",
    "ecs": "ecs",
    "elb": "elbv2",
    "elbv2": "elbv2",
    "iam": "iam",
    "logs": "logs",
    "s3": "s3",
    "secrets": "secretsmanager",
    "ssm": "ssm",
    "sts": "sts",
}
_NOT_OPERATIONS = {"get_paginator", "get_waiter", "can_paginate", "close", "meta", "exceptions"}


@dataclass(frozen=True)
class Call:
    action: str  # IAM action, e.g. `ssm:PutParameter`
    file: str
    line: int


def _client_service(node: ast.AST) -> str | None:
    """`svc` when `node` is a `<...>.client("svc")` call."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "client"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return node.args[0].value
    return None


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return node.attr
    return None


def _bound_clients(tree: ast.AST) -> dict[str, str]:
    """Names assigned a client in this module (`ssm = session.client("ssm")`, `a, b = c("x"), c("y")`)."""
    bound: dict[str, str] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            pairs = (
                zip(target.elts, node.value.elts, strict=False)
                if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple)
                else [(target, node.value)]
            )
            for name_node, value in pairs:
                service, name = _client_service(value), _name(name_node)
                if service and name:
                    bound[name] = service
    return bound


@cache
def _operations(service: str) -> dict[str, str]:
    """Client method name -> operation name, and the service's IAM prefix under the key ''."""
    import botocore.session

    client = botocore.session.get_session().create_client(
        service, region_name="af-south-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    mapping = dict(client.meta.method_to_api_mapping)
    mapping[""] = client.meta.service_model.signing_name
    for waiter in client.waiter_names:
        mapping[f"waiter:{waiter}"] = client.get_waiter(waiter).config.operation
    return mapping


def _action(service: str, method: str, argument: ast.AST | None) -> str | None:
    operations = _operations(service)
    if method in ("get_paginator", "get_waiter"):
        if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)):
            return None
        key = argument.value if method == "get_paginator" else f"waiter:{argument.value}"
        operation = operations.get(key)
    else:
        operation = operations.get(method)
    return f"{operations['']}:{operation}" if operation else None


def calls_in(path: Path) -> list[Call]:
    """Every AWS call in one source file, as IAM actions."""
    tree = ast.parse(Path(path).read_text())
    bound = {**CLIENT_NAMES, **_bound_clients(tree)}
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method, receiver = node.func.attr, node.func.value
        service = _client_service(receiver) or bound.get(_name(receiver) or "")
        if service is None or method in _NOT_OPERATIONS - {"get_paginator", "get_waiter"}:
            continue
        action = _action(service, method, node.args[0] if node.args else None)
        if action:
            found.append(Call(action, str(path), node.lineno))
    return found


def calls(paths: Iterable[Path]) -> list[Call]:
    return [call for path in sorted(set(paths)) for call in calls_in(path)]
