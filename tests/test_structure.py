"""The package's shape, held by tests: areas import each other without a cycle, only Dagster's public API is
imported (package and tests), every Dagster name comes from naming.py, and no code names an environment."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

from credex_orchestration.environments import PROJECT_ROOT, load_environments

PACKAGE = PROJECT_ROOT / "credex_orchestration"


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports(module: str, path: Path) -> set[str]:
    """Absolute names of the project modules `module` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name.startswith("credex_orchestration.")}


def _area(module: str) -> str:
    """The top-level package (or module) of credex_orchestration a module belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def area_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in modules.items():
        for target in _imports(module, path):
            if target in modules and _area(target) != _area(module):
                graph[_area(module)].add(_area(target))
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_areas_import_each_other_without_a_cycle() -> None:
    graph = area_graph()
    assert _cycle(graph) is None, f"package import cycle: {' -> '.join(_cycle(graph) or [])}"
    # The layers the architecture doc draws: lib knows nothing of the project; deploy is below every area.
    assert graph.get("lib", set()) == set(), graph.get("lib")
    for area in ("components", "operations", "triggers", "verification", "notifications"):
        assert "definitions" not in graph.get(area, set()), area
    assert not graph.get("deploy", set()) & {"components", "operations", "triggers", "notifications"}


def test_a_cycle_is_found_when_there_is_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}}) is None


def _sources() -> dict[Path, str]:
    return {path: path.read_text() for path in PACKAGE.rglob("*.py")}


# Where Dagster's public API only is held. benchmarks/ joins once its private imports are gone.
PUBLIC_DAGSTER_ONLY = (PACKAGE, PROJECT_ROOT / "tests", PROJECT_ROOT / "benchmarks")


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_dagster_imports(source: str) -> list[str]:
    """`dagster._x`, `from dagster import _x` (and the same of dagster_aws, dagster_graphql, ...) in a source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
            names: list[str] = []
        elif isinstance(node, ast.ImportFrom) and not node.level:
            modules = [node.module or ""]
            names = [alias.name for alias in node.names]
        else:
            continue
        for module in modules:
            top, *rest = module.split(".")
            if top.startswith("dagster") and (any(_private(p) for p in rest) or any(map(_private, names))):
                found.append(f"{node.lineno}: {module}")
    return found


def test_only_dagsters_public_api() -> None:
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)}:{hit}"
        for root in PUBLIC_DAGSTER_ONLY
        for path in sorted(root.rglob("*.py"))
        for hit in private_dagster_imports(path.read_text())
    ]
    assert offenders == []


def test_a_private_dagster_import_is_found() -> None:
    source = (
        "import dagster\nfrom dagster import AssetKey, __version__\nfrom . import _local\n"
        "from dagster._core.instance.ref import InstanceRef\nimport dagster._check\n"
        "from dagster import _check as check\nfrom dagster_aws.ecs import _helpers\n"
        "def f():\n    from dagster_graphql._internal import x\n"
    )
    assert private_dagster_imports(source) == [
        "4: dagster._core.instance.ref",
        "5: dagster._check",
        "6: dagster",
        "7: dagster_aws.ecs",
        "9: dagster_graphql._internal",
    ]


def test_every_dagster_name_comes_from_naming() -> None:
    offenders = [
        str(path)
        for path, text in _sources().items()
        if path.name != "naming.py" and re.search(r"AssetKey\(\[", text)
    ]
    assert offenders == []
    spelled = re.compile(r'f"(deploy|verify|cleanup|unlock|backup)_\{')
    assert [str(p) for p, text in _sources().items() if p.name != "naming.py" and spelled.search(text)] == []


def test_no_code_names_an_environment() -> None:
    names = "|".join(load_environments())
    compared = re.compile(rf"""[=!]=\s*["']({names})["']|["']({names})["']\s*[=!]=""")
    offenders = [
        f"{path}: {m.group(0)}" for path, text in _sources().items() for m in compared.finditer(text)
    ]
    assert offenders == []
