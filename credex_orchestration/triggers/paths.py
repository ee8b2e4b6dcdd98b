"""Which components a set of changed files affects: path globs per component, plus what depends on them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from ..environments import COMPONENT_UPSTREAMS, COMPONENTS

# The defaults; overridden through `CredexCoreRepository.component_paths`.
DEFAULT_COMPONENT_PATHS: dict[str, tuple[str, ...]] = {
    "connectors": ("terraform/connectors/**",),
    "databases": ("terraform/databases/**",),
    "app": ("src/**", "Dockerfile", "package*.json", "terraform/app/**"),
}


class ComponentPathsError(ValueError):
    """The path mapping names an unknown component or holds an empty glob."""


def _glob_regex(glob: str) -> re.Pattern[str]:
    """`**` matches across directories, `*` and `?` within one path segment."""
    out, i = [], 0
    while i < len(glob):
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def downstream_closure(components: Iterable[str]) -> list[str]:
    """The components plus every component that reads from them, in deploy order."""
    affected = set(components)
    changed = True
    while changed:
        changed = False
        for component, upstreams in COMPONENT_UPSTREAMS.items():
            if component not in affected and affected.intersection(upstreams):
                affected.add(component)
                changed = True
    return [component for component in COMPONENTS if component in affected]


class ComponentPaths:
    def __init__(self, mapping: Mapping[str, Iterable[str]]) -> None:
        unknown = sorted(set(mapping) - set(COMPONENTS))
        if unknown:
            raise ComponentPathsError(
                f"component_paths names unknown component(s) {', '.join(unknown)} (one of: {', '.join(COMPONENTS)})"
            )
        self._patterns: dict[str, list[re.Pattern[str]]] = {}
        for component, globs in mapping.items():
            globs = list(globs)
            if any(not glob.strip() for glob in globs):
                raise ComponentPathsError(f"component_paths[{component!r}] holds an empty glob")
            self._patterns[component] = [_glob_regex(glob.strip().lstrip("/")) for glob in globs]

    def direct(self, paths: Iterable[str]) -> dict[str, list[str]]:
        """Changed paths per component whose globs match them (a path may touch several)."""
        touched: dict[str, list[str]] = {}
        for path in paths:
            for component, patterns in self._patterns.items():
                if any(pattern.match(path) for pattern in patterns):
                    touched.setdefault(component, []).append(path)
        return touched

    def affected(self, paths: Iterable[str]) -> list[str]:
        return downstream_closure(self.direct(paths))
