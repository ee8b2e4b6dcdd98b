"""Where Terraform gets its providers: a filesystem mirror when the machine has one, else the registry.

Machines without registry access (CI, these build hosts) carry the providers in a filesystem mirror (the
layout `terraform providers mirror` writes, packed or unpacked: `<host>/<namespace>/<type>/<version>/<os_arch>`).
Terraform uses one only through a CLI configuration file (`provider_installation { filesystem_mirror {...} }`
named by TF_CLI_CONFIG_FILE), so the engine writes that file and points its processes at it. The mirror is
the only installation method then: a provider missing from it fails `init` with Terraform's own message
naming the provider, rather than an attempt to reach a registry that is not there.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from pathlib import Path

MIRROR_ENV = "CREDEX_TF_PROVIDER_MIRROR"
DEFAULT_MIRROR = Path("/opt/tf-plugins")
REGISTRY_HOST = "registry.terraform.io"
AUTO = "auto"
CLI_CONFIG_NAME = "credex-providers.tfrc"

HOW_TO_GET_ONE = (
    "Terraform needs the hashicorp/aws provider (the version pinned in terraform/*/versions.tf). Either put a "
    f"filesystem mirror at {DEFAULT_MIRROR} or point {MIRROR_ENV} at one (make it on a machine with registry "
    "access: `terraform -chdir=terraform/connectors providers mirror -platform=linux_amd64 <dir>`, then copy "
    f"<dir> here), or run where {REGISTRY_HOST} is reachable."
)


class NoProviderSource(RuntimeError):
    """Neither a provider mirror nor the Terraform registry is available."""


class ProviderMirrorMissing(RuntimeError):
    """A mirror was named explicitly but holds no providers."""


def providers_in(mirror: Path) -> list[str]:
    """`<host>/<namespace>/<type> <version> <os_arch>` of every provider in a mirror (either layout)."""
    found = []
    mirror = Path(mirror)
    if not mirror.is_dir():
        return []
    for host in sorted(p for p in mirror.iterdir() if p.is_dir()):
        for namespace in sorted(p for p in host.iterdir() if p.is_dir()):
            for kind in sorted(p for p in namespace.iterdir() if p.is_dir()):
                for entry in sorted(kind.iterdir()):
                    if entry.is_dir():  # unpacked: <version>/<os_arch>/terraform-provider-*
                        found += [
                            f"{host.name}/{namespace.name}/{kind.name} {entry.name} {platform.name}"
                            for platform in sorted(entry.iterdir())
                            if platform.is_dir()
                        ]
                    elif entry.name.endswith(
                        ".zip"
                    ):  # packed: terraform-provider-<type>_<version>_<os_arch>.zip
                        parts = entry.name.removesuffix(".zip").split("_")
                        if len(parts) >= 4:
                            found.append(
                                f"{host.name}/{namespace.name}/{kind.name} {parts[1]} {'_'.join(parts[2:])}"
                            )
    return found


def find_mirror(setting: str | None = AUTO, environ: Mapping[str, str] | None = None) -> Path | None:
    """The mirror to install providers from; None means the registry.

    `setting`: "auto" (CREDEX_TF_PROVIDER_MIRROR if set, else /opt/tf-plugins when it holds providers),
    "" or None (the registry), or a path (that mirror, which must hold providers).
    """
    environ = os.environ if environ is None else environ
    if not setting:
        return None
    if setting != AUTO:
        explicit = Path(setting).expanduser().resolve()
        if not providers_in(explicit):
            raise ProviderMirrorMissing(f"provider mirror {explicit} holds no providers. {HOW_TO_GET_ONE}")
        return explicit
    named = environ.get(MIRROR_ENV)
    if named:
        path = Path(named).expanduser().resolve()
        if not providers_in(path):
            raise ProviderMirrorMissing(f"{MIRROR_ENV}={named} holds no providers. {HOW_TO_GET_ONE}")
        return path
    return DEFAULT_MIRROR if providers_in(DEFAULT_MIRROR) else None


def registry_reachable(timeout: float = 3.0) -> bool:
    """Whether the Terraform registry answers on 443 (one TCP connect; no request is sent)."""
    try:
        with socket.create_connection((REGISTRY_HOST, 443), timeout=timeout):
            return True
    except OSError:
        return False


def require_provider_source(setting: str | None = AUTO) -> Path | None:
    """The mirror (or None: the registry, which answers); NoProviderSource says how to get one otherwise."""
    mirror = find_mirror(setting)
    if mirror is None and not registry_reachable():
        raise NoProviderSource(
            f"no provider mirror found and {REGISTRY_HOST} is unreachable. {HOW_TO_GET_ONE}"
        )
    return mirror


def cli_config(mirror: Path) -> str:
    """A CLI configuration that installs every provider from `mirror` and from nowhere else."""
    path = str(Path(mirror).resolve()).replace("\\", "\\\\").replace('"', '\\"')
    return f'provider_installation {{\n  filesystem_mirror {{\n    path = "{path}"\n  }}\n}}\n'


def write_cli_config(mirror: Path, directory: Path) -> Path:
    """`<directory>/credex-providers.tfrc` for `mirror`, rewritten only when its text changes."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / CLI_CONFIG_NAME
    text = cli_config(mirror)
    if not path.exists() or path.read_text() != text:
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(text)
        temporary.replace(path)  # atomic: concurrent workspaces never read half a file
    return path
