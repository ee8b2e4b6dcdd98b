"""A saved plan as a reviewer reads it: each changed resource, its changed attributes, why it is replaced.

Input is `terraform show -json` of the saved plan (`TerraformWorkspace.show_plan`). Output is markdown for
the materialisation's `plan` metadata and the run log. Every value Terraform marks sensitive (under
`before_sensitive` / `after_sensitive`) is shown as `(sensitive)`, never rendered; every other value goes
through the redactor, so a secret the run knows is masked even where the schema does not mark it.
Values and the whole text are cut at fixed lengths, at a character boundary, with a note of what was cut.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

SENSITIVE = "(sensitive)"
UNKNOWN = "(known after apply)"
ABSENT = "—"
MAX_VALUE_CHARS = 200
_ELEMENT = "\x01"  # separates a block's path from the identity of one of its elements
MAX_ATTRIBUTES = 40
MAX_CHARS = 60_000

_SYMBOL = {"create": "+", "update": "~", "delete": "-", "replace": "-/+", "read": "<=", "import": "<-"}
_REASONS = {
    "replace_because_cannot_update": "an attribute that cannot change in place changed",
    "replace_because_tainted": "the resource is tainted (a create or update failed part-way)",
    "replace_by_request": "replacement was requested (-replace)",
    "replace_by_triggers": "a `replace_triggered_by` reference changed",
    "delete_because_no_resource_config": "it is no longer in the configuration",
    "delete_because_no_module": "its module is no longer in the configuration",
    "delete_because_wrong_repetition": "its count/for_each form changed",
    "delete_because_count_index": "its count index is no longer in range",
    "delete_because_each_key": "its for_each key is no longer in the map",
    "read_because_config_unknown": "its configuration depends on values known only after apply",
    "read_because_dependency_pending": "a resource it depends on has pending changes",
}

Redact = Callable[[str], str]


def action_of(actions: list[str]) -> str:
    """Terraform's action list as one word: ["delete", "create"] and ["create", "delete"] are a replace."""
    if set(actions) == {"create", "delete"}:
        return "replace"
    if actions == ["no-op"]:
        return "noop"
    return actions[0] if actions else "noop"


def _flatten(value: Any, sensitive: Any, unknown: Any, path: str, out: dict[str, str]) -> None:
    """Leaf attribute paths (`ingress[0].from_port`) to rendered values; lists of plain values are leaves.

    A sensitive value is rendered as SENSITIVE; its digest (kept under a NUL-prefixed key, never shown)
    tells whether it changed.
    """
    if sensitive is True:
        out[path] = SENSITIVE
        out["\0" + path] = hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()
        return
    if unknown is True:
        out[path] = UNKNOWN
        return
    if isinstance(value, Mapping) or isinstance(unknown, Mapping):
        value = value if isinstance(value, Mapping) else {}
        sub_s = sensitive if isinstance(sensitive, Mapping) else {}
        sub_u = unknown if isinstance(unknown, Mapping) else {}
        for key in sorted(set(value) | {k for k, v in sub_u.items() if v is True}):
            child = f"{path}.{key}" if path else str(key)
            _flatten(value.get(key), sub_s.get(key), sub_u.get(key), child, out)
        return
    if _blocks(value) and not _marked(sensitive) and not _marked(unknown):
        # Nested blocks (often sets, which Terraform re-orders): each element is one value, so an added
        # rule shows as one added element, not as every index after it shifting.
        for item in value:
            shown = {k: v for k, v in item.items() if v not in (None, "", [], {}, False)}
            out[f"{path}{_ELEMENT}{json.dumps(item, sort_keys=True)}"] = json.dumps(
                shown, sort_keys=True, ensure_ascii=False
            )
        return
    if isinstance(value, list) and _nested(value, sensitive, unknown):
        sub_s = sensitive if isinstance(sensitive, list) else []
        sub_u = unknown if isinstance(unknown, list) else []
        for index in range(max(len(value), len(sub_u))):
            item = value[index] if index < len(value) else None
            _flatten(
                item,
                sub_s[index] if index < len(sub_s) else None,
                sub_u[index] if index < len(sub_u) else None,
                f"{path}[{index}]",
                out,
            )
        if not value and not sub_u:
            out[path] = "[]"
        return
    if value is None:
        return  # unset: shown as absent on the side it is missing from
    out[path] = json.dumps(value, sort_keys=True, ensure_ascii=False)


def _blocks(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, Mapping) for item in value)


def _marked(marker: Any) -> bool:
    if marker is True:
        return True
    if isinstance(marker, Mapping):
        return any(_marked(item) for item in marker.values())
    if isinstance(marker, list):
        return any(_marked(item) for item in marker)
    return False


def _nested(value: list, sensitive: Any, unknown: Any) -> bool:
    return any(isinstance(item, Mapping | list) for item in value) or _marked(sensitive) or _marked(unknown)


def flatten(value: Any, sensitive: Any = None, unknown: Any = None) -> dict[str, str]:
    out: dict[str, str] = {}
    _flatten(value, sensitive, unknown, "", out)
    return out


def _split(flat: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    shown = {path: text for path, text in flat.items() if not path.startswith("\0")}
    digests = {path[1:]: text for path, text in flat.items() if path.startswith("\0")}
    return shown, digests


def _cell(text: str, redact: Redact) -> str:
    """A table cell: redacted, cut at MAX_VALUE_CHARS characters, pipes and newlines escaped, in code."""
    if text in (SENSITIVE, UNKNOWN, ABSENT):
        return f"*{text}*"
    text = redact(text)
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 1] + "…"
    text = text.replace("\\n", "⏎").replace("\n", "⏎").replace("|", "\\|").replace("`", "'")
    return f"`{text}`"


def changed_attributes(change: Mapping[str, Any]) -> list[tuple[str, str, str, bool]]:
    """(path, before, after, forces replacement) for every attribute whose value differs."""
    before, before_digests = _split(flatten(change.get("before"), change.get("before_sensitive")))
    after, after_digests = _split(
        flatten(change.get("after"), change.get("after_sensitive"), change.get("after_unknown"))
    )
    forcing = {_path_text(path) for path in change.get("replace_paths") or []}
    rows = []
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path, ABSENT), after.get(path, ABSENT)
        if old == new and (old != SENSITIVE or before_digests.get(path) == after_digests.get(path)):
            continue
        shown = path.split(_ELEMENT)[0]
        forces = any(shown == f or shown.startswith((f"{f}.", f"{f}[")) for f in forcing)
        rows.append((shown if _ELEMENT not in path else f"{shown} (element)", old, new, forces))
    return rows


def _path_text(path: list[Any]) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


def _reason(resource: Mapping[str, Any], action: str) -> str | None:
    reason = resource.get("action_reason")
    forcing = [_path_text(path) for path in resource.get("change", {}).get("replace_paths") or []]
    words = _REASONS.get(reason or "", reason)
    if action == "replace" and forcing and reason in (None, "replace_because_cannot_update"):
        return f"`{'`, `'.join(forcing)}` cannot change in place"
    if action == "replace":
        return words or "Terraform gave no reason"
    return words


def resource_section(resource: Mapping[str, Any], redact: Redact) -> str:
    change = resource.get("change", {})
    action = action_of(change.get("actions", []))
    if "importing" in change and action == "noop":
        action = "import"
    address = resource.get("address", "?")
    lines = [f"#### {_SYMBOL.get(action, action)} `{address}`: {action}"]
    reason = _reason(resource, action)
    if reason:
        lines.append(f"**Why:** {reason}.")
    if action == "delete":
        return "\n".join(lines)
    rows = changed_attributes(change)
    if rows:
        lines += ["", "| attribute | before | after |", "|---|---|---|"]
        for path, old, new, forces in rows[:MAX_ATTRIBUTES]:
            mark = " **(forces replacement)**" if forces else ""
            lines.append(f"| `{path}`{mark} | {_cell(old, redact)} | {_cell(new, redact)} |")
        if len(rows) > MAX_ATTRIBUTES:
            lines.append(f"\n… and {len(rows) - MAX_ATTRIBUTES} more attributes (`terraform show` the plan)")
    return "\n".join(lines)


def plan_markdown(plan: Mapping[str, Any], redact: Redact | None = None, title: str = "Plan") -> str:
    """Markdown of every resource the plan changes; an empty plan says so."""
    redact = redact or (lambda text: text)
    resources = [
        resource
        for resource in plan.get("resource_changes") or []
        if action_of(resource.get("change", {}).get("actions", [])) not in ("noop", "read")
        or "importing" in resource.get("change", {})
    ]
    counts: dict[str, int] = {}
    for resource in resources:
        action = action_of(resource["change"].get("actions", []))
        counts[action] = counts.get(action, 0) + 1
    summary = ", ".join(f"{count} to {action}" for action, count in sorted(counts.items())) or "no changes"
    head = f"### {title}: {summary}\n"
    sections: list[str] = []
    size = len(head)
    for index, resource in enumerate(resources):
        section = resource_section(resource, redact)
        if size + len(section) > MAX_CHARS:
            rest = [r.get("address", "?") for r in resources[index:]]
            sections.append(
                f"… {len(rest)} more changed resources not shown (the text is capped at {MAX_CHARS} "
                f"characters): {redact(', '.join(rest))[:2000]}"
            )
            break
        sections.append(section)
        size += len(section) + 2
    return head + "\n" + "\n\n".join(sections) + "\n"


def sensitive_values(plan: Mapping[str, Any]) -> list[Any]:
    """Every raw value the plan marks sensitive, for the run's redactor (they must not show up elsewhere)."""
    found: list[Any] = []

    def walk(value: Any, marker: Any) -> None:
        if marker is True:
            if value is not None:
                found.append(value)
        elif isinstance(marker, Mapping) and isinstance(value, Mapping):
            for key, sub in marker.items():
                walk(value.get(key), sub)
        elif isinstance(marker, list) and isinstance(value, list):
            for item, sub in zip(value, marker, strict=False):
                walk(item, sub)

    for resource in plan.get("resource_changes") or []:
        change = resource.get("change", {})
        walk(change.get("before"), change.get("before_sensitive"))
        walk(change.get("after"), change.get("after_sensitive"))
    return found
