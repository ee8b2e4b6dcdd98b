"""git as the branch-push sensor needs it: ls-remote, fetch into a local cache, changed paths, ancestry.

Every call runs the real `git` with a bounded time, no terminal prompt and no user configuration, so a
sensor tick never hangs on credentials and never depends on the machine's git setup. Errors name the
remote and the git command (the remote URL with any password removed).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

_SHA = re.compile(r"^[0-9a-f]{40}$")
_CREDENTIALS = re.compile(r"(://)[^/@\s]+@")
DEFAULT_TIMEOUT_SECONDS = 60


class GitError(RuntimeError):
    """A git command failed: the message names the remote, the command and git's own reason."""


def redact_url(url: str) -> str:
    """`https://user:token@host/x` -> `https://***@host/x`: URLs appear in messages, secrets must not."""
    return _CREDENTIALS.sub(r"\1***@", url)


def _git_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(
        GIT_TERMINAL_PROMPT="0",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_ASKPASS="/bin/false",
        SSH_ASKPASS="/bin/false",
        LC_ALL="C",
    )
    return env


def _subcommand(args: Sequence[str]) -> str:
    """`fetch` of `--git-dir X -c k=v fetch ...`: what the message should name."""
    index = 0
    while index < len(args) and args[index] in ("--git-dir", "-c"):
        index += 2
    return args[index] if index < len(args) else "git"


def run_git(
    args: Sequence[str], *, cwd: Path | None = None, timeout: float = DEFAULT_TIMEOUT_SECONDS, where: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run `git ARGS`; a non-zero exit or a timeout raises GitError naming `where`."""
    command = ["git", *args]
    shown = _subcommand(args)
    try:
        result = subprocess.run(
            command,
            cwd=cwd,
            env=_git_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise GitError(f"git {shown} ({where}) gave no answer within {timeout:.0f}s") from None
    if result.returncode != 0:
        reason = " ".join(redact_url(result.stderr).split())[:400] or f"exit {result.returncode}"
        raise GitError(f"git {shown} ({where}) failed: {reason}")
    return result


def ls_remote(url: str, branches: Sequence[str], timeout: float = DEFAULT_TIMEOUT_SECONDS) -> dict[str, str]:
    """Tip SHA of each branch that exists on the remote (one round trip); missing branches are absent."""
    refs = [f"refs/heads/{branch}" for branch in branches]
    result = run_git(["ls-remote", "--", url, *refs], timeout=timeout, where=redact_url(url))
    tips: dict[str, str] = {}
    for line in result.stdout.splitlines():
        sha, _, ref = line.partition("\t")
        if ref.startswith("refs/heads/") and _SHA.match(sha):
            tips[ref.removeprefix("refs/heads/")] = sha
    return tips


class GitCache:
    """A bare repository on local disk holding only what the sensor fetched (commits and trees, no blobs
    where the server supports partial clone). One cache per remote URL; a file lock serialises ticks."""

    def __init__(self, cache_dir: Path | str, url: str, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        digest = hashlib.sha256(url.encode()).hexdigest()[:16]
        self.path = Path(cache_dir).expanduser().resolve() / f"{digest}.git"
        self.url = url
        self.timeout = timeout
        self._where = f"cache of {redact_url(url)}"

    def _git(self, *args: str, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
        return run_git(
            ["--git-dir", str(self.path), *args], timeout=timeout or self.timeout, where=self._where
        )

    @contextmanager
    def locked(self) -> Iterator[GitCache]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.parent / f"{self.path.name}.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                if not (self.path / "HEAD").exists():
                    run_git(["init", "--bare", "--quiet", str(self.path)], where=self._where)
                # A named remote: partial clone records its promisor by remote name (a path is refused).
                self._git("config", "remote.origin.url", self.url)
                yield self
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def fetch_branch(self, branch: str) -> str:
        """Fetch the branch's history into `refs/credex/<branch>`; returns the fetched tip."""
        ref = f"refs/credex/{branch}"
        run_git(
            [
                "--git-dir",
                str(self.path),
                "-c",
                "fetch.recurseSubmodules=false",
                "fetch",
                "--quiet",
                "--no-tags",
                "--force",
                "--filter=blob:none",
                "origin",
                f"+refs/heads/{branch}:{ref}",
            ],
            timeout=self.timeout,
            where=f"fetch of branch {branch!r} from {redact_url(self.url)}",
        )
        return self._git("rev-parse", "--verify", f"{ref}^{{commit}}").stdout.strip()

    def resolve(self, sha: str) -> str | None:
        """The full SHA of a commit in the cache (short SHAs allowed), or None when it is not here."""
        if not re.fullmatch(r"[0-9a-f]{7,40}", sha or ""):
            return None
        try:
            return self._git("rev-parse", "--verify", "--quiet", f"{sha}^{{commit}}").stdout.strip() or None
        except GitError:
            return None

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """Whether `ancestor` is in the history of `descendant` (both must be in the cache)."""
        result = subprocess.run(
            ["git", "--git-dir", str(self.path), "merge-base", "--is-ancestor", ancestor, descendant],
            env=_git_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=self.timeout,
        )
        if result.returncode in (0, 1):
            return result.returncode == 0
        raise GitError(f"git merge-base --is-ancestor ({self._where}) failed: {result.stderr.strip()[:400]}")

    def changed_paths(self, old: str, new: str) -> list[str]:
        """Paths that differ between two commits (renames count as both paths)."""
        result = self._git("diff", "--name-only", "--no-renames", "-z", old, new)
        return sorted(path for path in result.stdout.split("\0") if path)
