"""Generate the per-component deploy policy from the types the Terraform roots use.

`python -m credex_orchestration.operations.iam_policy --write` rewrites `docs/deploy/credex-permissions.json`
(the seeds' file) from `terraform/`; `--check` exits 1 when the file is stale or a type is not in the table.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..environments import COMPONENTS, PROJECT_ROOT
from .boto_calls import Call, calls
from .iam_actions import PASS_ROLE_TO, PASSABLE_ROLES, TABLE, UNSCOPED, Permissions
from .iam_calls import CALLERS, CALLS, ELSEWHERE, UNSCOPED_CALLS

POLICY_FILE = PROJECT_ROOT / "docs" / "deploy" / "credex-permissions.json"
DEFAULT_ROOTS = PROJECT_ROOT / "terraform"
PACKAGE = PROJECT_ROOT / "credex_orchestration"
_PROJECT_CONDITION_KEY = "Project"
_PROJECT = "credex-core"


class PolicyTableError(RuntimeError):
    """A root uses a resource type the permissions table does not list."""


@dataclass(frozen=True)
class UsedType:
    type: str  # `aws_vpc`, `data.aws_ami` for data sources, `ephemeral.<type>` for ephemeral resources
    file: str


def _unquote(key: str) -> str:
    return key.strip('"')


def _blocks(parsed: dict[str, Any], kind: str) -> Iterable[tuple[str, dict[str, Any]]]:
    for entry in parsed.get(kind, []):
        for type_name, named in entry.items():
            yield _unquote(type_name), named


def used_types(root: Path, _seen: set[Path] | None = None) -> list[UsedType]:
    """Resource and data types of a root and of the local modules it calls (parsed with python-hcl2)."""
    import hcl2  # parsing only happens in the generator and the check, never at code-location load

    seen = _seen if _seen is not None else set()
    root = Path(root).resolve()
    if root in seen or not root.is_dir():
        return []
    seen.add(root)
    found: list[UsedType] = []
    for path in sorted(root.glob("*.tf")):
        with path.open() as handle:
            parsed = hcl2.load(handle)
        for type_name, _ in _blocks(parsed, "resource"):
            found.append(UsedType(type_name, str(path)))
        for type_name, _ in _blocks(parsed, "data"):
            found.append(UsedType(f"data.{type_name}", str(path)))
        for type_name, _ in _blocks(parsed, "ephemeral"):  # opened on every plan and apply: they call AWS too
            found.append(UsedType(f"ephemeral.{type_name}", str(path)))
        for entry in parsed.get("module", []):
            for body in entry.values():
                source = _unquote(str(body.get("source", "")))
                if source.startswith(("./", "../")):
                    found.extend(used_types(root / source, seen))
    return found


def component_types(roots_dir: Path) -> dict[str, list[UsedType]]:
    return {component: used_types(Path(roots_dir) / component) for component in COMPONENTS}


def missing_types(roots_dir: Path) -> list[UsedType]:
    return [used for types in component_types(roots_dir).values() for used in types if used.type not in TABLE]


def _calling_modules(package: Path) -> dict[str, list[Call]]:
    """Package-relative module path -> its AWS calls, for every module that makes one."""
    found: dict[str, list[Call]] = defaultdict(list)
    for call in calls(Path(package).rglob("*.py")):
        found[Path(call.file).relative_to(package).as_posix()].append(call)
    return found


def unassigned_callers(package: Path = PACKAGE) -> list[str]:
    """Modules that call AWS but are in neither iam_calls.CALLERS nor iam_calls.ELSEWHERE."""
    assigned = {module for modules in CALLERS.values() for module in modules}
    return sorted(
        module
        for module in _calling_modules(package)
        if module not in assigned and not any(module.startswith(other) for other in ELSEWHERE)
    )


def component_calls(package: Path = PACKAGE) -> dict[str, list[Call]]:
    """Per component, the AWS calls of the modules its document carries (iam_calls.CALLERS)."""
    modules = _calling_modules(package)
    return {
        component: [call for module in CALLERS.get(component, ()) for call in modules.get(module, [])]
        for component in COMPONENTS
    }


def _statement(
    sid: str, actions: Iterable[str], resources: Iterable[str], condition: dict | None = None
) -> dict:
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": sorted(set(actions)),
        "Resource": sorted(set(resources)) if len(set(resources)) > 1 else next(iter(set(resources))),
    }
    if condition:
        statement["Condition"] = condition
    return statement


def _is_unscoped(action: str) -> bool:
    verb = action.split(":", 1)[1]
    return (
        action in UNSCOPED
        or action in UNSCOPED_CALLS
        or (action.startswith("ec2:") and verb.startswith("Describe"))
        or (action.startswith("elasticloadbalancing:Describe"))
    )


def _call_permissions(component_calls: Iterable[Call]) -> list[Permissions]:
    rows, unknown = [], []
    for call in component_calls:
        if call.action in CALLS:
            rows.append(CALLS[call.action])
        elif _is_unscoped(call.action):
            rows.append(Permissions(read=(call.action,)))
        else:
            unknown.append(f"{call.action} ({call.file}:{call.line})")
    if unknown:
        raise PolicyTableError(
            f"no IAM scope listed for the call(s) {', '.join(sorted(set(unknown)))} (add them to iam_calls.CALLS)"
        )
    return rows


def component_policy(types: Iterable[str], component_calls: Iterable[Call] = ()) -> dict[str, Any]:
    """One policy document for a component's types and the package's own AWS calls for it; raises
    PolicyTableError on an unknown type or a call without a scope."""
    types = sorted(set(types))
    unknown = [t for t in types if t not in TABLE]
    if unknown:
        raise PolicyTableError(
            f"no IAM permissions listed for {', '.join(unknown)} (add them to iam_actions.TABLE)"
        )
    rows = [TABLE[type_name] for type_name in types] + _call_permissions(component_calls)
    unscoped: set[str] = set()
    by_resources: dict[tuple[str, ...], set[str]] = defaultdict(set)
    request_tagged: set[str] = set()
    resource_tagged: set[str] = set()
    pass_role = False
    for permissions in rows:
        for action in sorted(permissions.actions()):
            if action == "iam:PassRole":
                pass_role = True
            elif _is_unscoped(action):
                unscoped.add(action)
            elif permissions.resources:
                by_resources[permissions.resources].add(action)
            elif action in permissions.create and permissions.tag_on_create and action != "ec2:CreateTags":
                request_tagged.add(action)
            elif action != "ec2:CreateTags":
                resource_tagged.add(action)
    statements = []
    if unscoped:
        statements.append(_statement("ReadOnlyUnscoped", unscoped, ["*"]))
    for index, (resources, actions) in enumerate(sorted(by_resources.items())):
        statements.append(_statement(f"ByName{index + 1}", actions, resources))
    if request_tagged:
        statements.append(
            _statement(
                "CreateTagged",
                request_tagged,
                ["*"],
                {"StringEquals": {f"aws:RequestTag/{_PROJECT_CONDITION_KEY}": _PROJECT}},
            )
        )
        statements.append(
            _statement(
                "TagOnCreate",
                ["ec2:CreateTags"],
                ["*"],
                {
                    "StringEquals": {
                        "ec2:CreateAction": sorted(
                            a.split(":")[1] for a in request_tagged if a.startswith("ec2:")
                        )
                    }
                },
            )
        )
    if resource_tagged:
        statements.append(
            _statement(
                "ChangeTagged",
                resource_tagged
                | ({"ec2:CreateTags"} if any(a.startswith("ec2:") for a in resource_tagged) else set()),
                ["*"],
                {"StringEquals": {f"aws:ResourceTag/{_PROJECT_CONDITION_KEY}": _PROJECT}},
            )
        )
    if pass_role:
        statements.append(
            _statement(
                "PassOwnRoles",
                ["iam:PassRole"],
                PASSABLE_ROLES,
                {"StringEquals": {"iam:PassedToService": list(PASS_ROLE_TO)}},
            )
        )
    statements.append(
        _statement(
            "StateBucket",
            ["s3:ListBucket", "s3:GetBucketVersioning"],
            ["arn:aws:s3:::credex-terraform-state-*"],
        )
    )
    statements.append(
        _statement(
            "StateObjects",
            ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            ["arn:aws:s3:::credex-terraform-state-*/*"],
        )
    )
    return {"Version": "2012-10-17", "Statement": statements}


def generate(roots_dir: Path = DEFAULT_ROOTS, package: Path = PACKAGE) -> dict[str, Any]:
    """The file's content: one policy document per component, plus the types and the package's own AWS
    calls each was generated from."""
    unassigned = unassigned_callers(package)
    if unassigned:
        raise PolicyTableError(
            f"{', '.join(unassigned)} call AWS but no policy document carries them "
            "(add them to iam_calls.CALLERS, or to iam_calls.ELSEWHERE with the identity they use)"
        )
    types = component_types(roots_dir)
    code = component_calls(package)
    return {
        "_comment": "Generated by `python -m credex_orchestration.operations.iam_policy --write`; do not edit.",
        "components": {
            component: {
                "resource_types": sorted({u.type for u in used}),
                "aws_calls": sorted({call.action for call in code[component]}),
                "policy": component_policy((u.type for u in used), code[component]),
            }
            for component, used in types.items()
        },
    }


def render(policy: dict[str, Any]) -> str:
    return json.dumps(policy, indent=2, sort_keys=True) + "\n"


def wildcard_actions(policy: dict[str, Any]) -> list[str]:
    """Service-wide or pattern actions (`ec2:*`, `*`, `s3:Get*`): the generator must never produce them."""
    found = []
    for component in policy["components"].values():
        for statement in component["policy"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            found.extend(action for action in actions if "*" in action)
    return found


def stale_reason(roots_dir: Path = DEFAULT_ROOTS, policy_file: Path = POLICY_FILE) -> str | None:
    """Why the checked-in policy is not what the roots need, else None."""
    expected = render(generate(roots_dir))
    if not Path(policy_file).exists():
        return (
            f"{policy_file} does not exist: run python -m credex_orchestration.operations.iam_policy --write"
        )
    if Path(policy_file).read_text() != expected:
        return (
            f"{policy_file} is stale for the roots in {roots_dir}: run "
            "python -m credex_orchestration.operations.iam_policy --write and apply it to the deploy users"
        )
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--roots", type=Path, default=DEFAULT_ROOTS)
    parser.add_argument("--output", type=Path, default=POLICY_FILE)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    try:
        text = render(generate(args.roots))
    except PolicyTableError as error:
        print(error, file=sys.stderr)
        return 1
    if args.write:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)
        print(f"wrote {args.output}")
        return 0
    reason = stale_reason(args.roots, args.output)
    if reason:
        print(reason, file=sys.stderr)
        return 1
    print(f"{args.output} is current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
