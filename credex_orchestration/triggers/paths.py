"""Which components a set of changed credex-core files affects: the mapping is data (credex-core-paths.yaml).

The file sits next to the environments file (the checked-in one when that directory has none) and is
validated when the code location loads. Rules, in order: a path matching a component's glob deploys that
component (and what reads from it, `COMPONENT_UPSTREAMS`); `every_component` deploys all; `nothing` and
`retired` deploy nothing; anything else deploys nothing and is reported as unmapped
(docs/decisions/0120-component-paths-as-data.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..environments import COMPONENT_UPSTREAMS, COMPONENTS, PROJECT_ROOT, Environments

PATHS_FILE_NAME = "credex-core-paths.yaml"
DEFAULT_PATHS_FILE = PROJECT_ROOT / PATHS_FILE_NAME
_KEYS = ("every_component", "components", "nothing", "retired")


class ComponentPathsError(ValueError):
    """The path mapping names an unknown key or component, or holds a bad glob: the message says where."""


def _glob_regex(glob: str) -> re.Pattern[str]:
    """`**` matches across directories (`dir/**` also matches `dir` itself), `*` and `?` within one
    path segment."""
    out, i = [], 0
    while i < len(glob):
        if glob.startswith("/**", i) and i + 3 == len(glob):
            out.append("(/.*)?")
            i += 3
        elif glob.startswith("**", i):
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


@dataclass(frozen=True)
class Classified:
    """What a set of changed paths deploys, and why each path deploys what it does."""

    components: list[str]
    by_component: dict[str, list[str]] = field(default_factory=dict)
    every: list[str] = field(default_factory=list)
    nothing: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line for a skip reason or a log: counts and examples of each kind."""
        parts = []
        for component, paths in self.by_component.items():
            parts.append(f"{component}: {len(paths)} ({', '.join(paths[:2])})")
        for label, paths in (
            ("every component", self.every),
            ("deploy nothing", self.nothing),
            ("retired (credex-core's old terraform/, owned by credex-orchestration now)", self.retired),
            ("unmapped (deploy nothing; classify them in credex-core-paths.yaml)", self.unmapped),
        ):
            if paths:
                parts.append(f"{label}: {len(paths)} ({', '.join(paths[:3])})")
        return "; ".join(parts) or "no path changed"


class ComponentPaths:
    """The validated mapping; `source` names where it came from in every error."""

    def __init__(
        self,
        components: Mapping[str, Iterable[str]],
        every_component: Iterable[str] = (),
        nothing: Iterable[str] = (),
        retired: Iterable[str] = (),
        source: str = "component paths",
    ) -> None:
        self.source = source
        unknown = sorted(set(components) - set(COMPONENTS))
        if unknown:
            raise ComponentPathsError(
                f"{source}: components names unknown component(s) {', '.join(unknown)} "
                f"(one of: {', '.join(COMPONENTS)})"
            )
        seen: dict[str, str] = {}

        def compile_all(where: str, globs: Iterable[str]) -> list[re.Pattern[str]]:
            if isinstance(globs, str) or not isinstance(globs, Iterable):
                raise ComponentPathsError(f"{source}: {where} must be a list of globs, got {globs!r}")
            patterns = []
            for glob in globs:
                if not isinstance(glob, str) or not glob.strip():
                    raise ComponentPathsError(f"{source}: {where} holds an empty or non-text glob {glob!r}")
                glob = glob.strip()
                if glob.startswith("/") or ".." in glob.split("/") or "\\" in glob:
                    raise ComponentPathsError(
                        f"{source}: {where} glob {glob!r} must be relative to the repository root "
                        "(no leading '/', no '..', '/' as separator)"
                    )
                if glob in seen:
                    raise ComponentPathsError(
                        f"{source}: {where} glob {glob!r} is already listed under {seen[glob]}"
                    )
                seen[glob] = where
                patterns.append(_glob_regex(glob))
            return patterns

        self._components = {
            component: compile_all(f"components.{component}", globs)
            for component, globs in components.items()
        }
        self._every = compile_all("every_component", every_component)
        self._nothing = compile_all("nothing", nothing)
        self._retired = compile_all("retired", retired)

    @staticmethod
    def _matches(patterns: list[re.Pattern[str]], path: str) -> bool:
        return any(pattern.match(path) for pattern in patterns)

    def classify(self, paths: Iterable[str]) -> Classified:
        by_component: dict[str, list[str]] = {}
        every, nothing, retired, unmapped = [], [], [], []
        for path in paths:
            hits = [c for c, patterns in self._components.items() if self._matches(patterns, path)]
            for component in hits:
                by_component.setdefault(component, []).append(path)
            if self._matches(self._every, path):
                every.append(path)
            elif hits:
                continue
            elif self._matches(self._retired, path):
                retired.append(path)
            elif self._matches(self._nothing, path):
                nothing.append(path)
            else:
                unmapped.append(path)
        touched = list(COMPONENTS) if every else list(by_component)
        ordered = {c: by_component[c] for c in COMPONENTS if c in by_component}
        return Classified(downstream_closure(touched), ordered, every, nothing, retired, unmapped)

    def affected(self, paths: Iterable[str]) -> list[str]:
        return self.classify(paths).components


def parse_component_paths(raw: object, source: str) -> ComponentPaths:
    if not isinstance(raw, dict):
        raise ComponentPathsError(f"{source}: expected a mapping with keys {', '.join(_KEYS)}")
    unknown = sorted(set(raw) - set(_KEYS))
    if unknown:
        raise ComponentPathsError(
            f"{source}: unknown key(s) {', '.join(map(str, unknown))} (allowed: {', '.join(_KEYS)})"
        )
    components = raw.get("components") or {}
    if not isinstance(components, dict):
        raise ComponentPathsError(f"{source}: components must map a component to a list of globs")
    return ComponentPaths(
        {name: globs or [] for name, globs in components.items()},
        every_component=raw.get("every_component") or [],
        nothing=raw.get("nothing") or [],
        retired=raw.get("retired") or [],
        source=source,
    )


def paths_file(environments: Environments | None = None) -> Path:
    """credex-core-paths.yaml next to the environments file, else the checked-in one."""
    if environments is not None:
        beside = Path(environments.source).parent / PATHS_FILE_NAME
        if beside.exists():
            return beside
    return DEFAULT_PATHS_FILE


def load_component_paths(path: Path | str | None = None) -> ComponentPaths:
    source = Path(path) if path is not None else DEFAULT_PATHS_FILE
    try:
        raw = yaml.safe_load(source.read_text())
    except FileNotFoundError:
        raise ComponentPathsError(f"component paths file not found: {source}") from None
    except yaml.YAMLError as error:
        raise ComponentPathsError(f"{source}: not valid YAML: {error}") from None
    return parse_component_paths(raw, str(source))
