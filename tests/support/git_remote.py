"""A real credex-core stand-in: a bare repository with dev/stage/prod branches and a working clone."""

from __future__ import annotations

import subprocess
from pathlib import Path

IDENTITY = [
    "-c",
    "user.name=credex-test",
    "-c",
    "user.email=test@credex.local",
    "-c",
    "init.defaultBranch=dev",
]


class GitRemote:
    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.bare = root / "credex-core.git"
        self.work = root / "work"
        self.git("init", "--bare", "--quiet", str(self.bare), cwd=root)
        self.git("clone", "--quiet", str(self.bare), str(self.work), cwd=root)

    @property
    def url(self) -> str:
        return str(self.bare)

    def git(self, *args: str, cwd: Path | None = None) -> str:
        result = subprocess.run(
            ["git", *IDENTITY, *args],
            cwd=cwd or self.work,
            capture_output=True,
            text=True,
            check=True,
            env={"PATH": "/usr/bin:/bin:/usr/local/bin", "HOME": str(cwd or self.work), "LC_ALL": "C"},
        )
        return result.stdout.strip()

    def checkout(self, branch: str, create_from: str | None = None) -> None:
        if create_from:
            self.git("checkout", "--quiet", "-B", branch, create_from)
        else:
            self.git("checkout", "--quiet", branch)

    def commit(self, files: dict[str, str], message: str) -> str:
        for name, text in files.items():
            path = self.work / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            self.git("add", name)
        self.git("commit", "--quiet", "-m", message)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def push(self, branch: str, force: bool = False) -> str:
        self.git("push", "--quiet", *(["--force"] if force else []), "origin", f"{branch}:{branch}")
        return self.git("rev-parse", branch)

    def merge(self, source: str, into: str) -> str:
        self.checkout(into)
        self.git("merge", "--quiet", "--no-ff", "-m", f"Merge {source} into {into}", source)
        return self.head()

    def delete_remote_branch(self, branch: str) -> None:
        self.git("push", "--quiet", "origin", f":{branch}")
