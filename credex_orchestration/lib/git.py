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
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

_SHA = re.compile(r"^[0-9a-f]{40}$")
_CREDENTIALS = re.compile(r"(://)[^/@\s]+@")
DEFAULT_TIMEOUT_SECONDS = 60
# A transfer slower than 1 byte/s for 10 s is given up by git itself (HTTP remotes), before our timeout.
_SLOW_REMOTE = ("-c", "http.lowSpeedLimit=1", "-c", "http.lowSpeedTime=10")


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


class Deadline:
    """The time left to a whole sensor tick: each git command gets at most what remains of it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self._end - time.monotonic())

    def bound(self, timeout: float) -> float:
        """`timeout`, or less when the deadline is nearer; raises GitError when it has passed."""
        left = self.remaining()
        if left <= 0.05:
            raise GitError(f"the tick's budget of {self.seconds:.0f}s is spent")
        return min(timeout, left)


def _run(command: Sequence[str], *, cwd: Path | None, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run in a process group of its own and kill the whole group on timeout.

    git hands a remote to helpers (`git-remote-http`, `ssh`) that keep the output pipes open: killing git
    alone would leave `communicate()` waiting for them, as long as the server keeps the connection.
    """
    process = subprocess.Popen(
        list(command),
        cwd=cwd,
        env=_git_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    return subprocess.CompletedProcess(list(command), process.returncode, stdout, stderr)


def run_git(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    where: str = "",
    ok_codes: tuple[int, ...] = (0,),
) -> subprocess.CompletedProcess[str]:
    """Run `git ARGS`; an exit outside `ok_codes` or a timeout raises GitError naming `where`."""
    shown = _subcommand(args)
    try:
        result = _run(["git", *args], cwd=cwd, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise GitError(f"git {shown} ({where}) gave no answer within {timeout:.0f}s") from None
    if result.returncode not in ok_codes:
        reason = " ".join(redact_url(result.stderr).split())[:400] or f"exit {result.returncode}"
        raise GitError(f"git {shown} ({where}) failed: {reason}")
    return result


def ls_remote(url: str, branches: Sequence[str], timeout: float = DEFAULT_TIMEOUT_SECONDS) -> dict[str, str]:
    """Tip SHA of each branch that exists on the remote (one round trip); missing branches are absent."""
    refs = [f"refs/heads/{branch}" for branch in branches]
    result = run_git([*_SLOW_REMOTE, "ls-remote", "--", url, *refs], timeout=timeout, where=redact_url(url))
    tips: dict[str, str] = {}
    for line in result.stdout.splitlines():
        sha, _, ref = line.partition("\t")
        if ref.startswith("refs/heads/") and _SHA.match(sha):
            tips[ref.removeprefix("refs/heads/")] = sha
    return tips


class GitCache:
    """A bare repository on local disk holding only what the sensor fetched (commits and trees, no blobs
    where the server supports partial clone). One cache per remote URL; a file lock serialises ticks.

    Every SHA the sensor deployed is pinned under `refs/credex/keep/` (the newest `KEEP` of them), so a diff
    against it still works after a force-push removed it from the branch.
    """

    KEEP = 50

    def __init__(
        self,
        cache_dir: Path | str,
        url: str,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        deadline: Deadline | None = None,
    ) -> None:
        digest = hashlib.sha256(url.encode()).hexdigest()[:16]
        self.path = Path(cache_dir).expanduser().resolve() / f"{digest}.git"
        self.url = url
        self.timeout = timeout
        self.deadline = deadline
        self._where = f"cache of {redact_url(url)}"

    def _timeout(self) -> float:
        return self.deadline.bound(self.timeout) if self.deadline else self.timeout

    def _git(self, *args: str, ok_codes: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        return run_git(
            ["--git-dir", str(self.path), *args],
            timeout=self._timeout(),
            where=self._where,
            ok_codes=ok_codes,
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

    def _fetch(self, refspec: str, what: str) -> None:
        run_git(
            [
                "--git-dir",
                str(self.path),
                "-c",
                "fetch.recurseSubmodules=false",
                *_SLOW_REMOTE,
                "fetch",
                "--quiet",
                "--no-tags",
                "--force",
                "--filter=blob:none",
                "origin",
                refspec,
            ],
            timeout=self._timeout(),
            where=f"fetch of {what} from {redact_url(self.url)}",
        )

    def fetch_branch(self, branch: str) -> str:
        """Fetch the branch's history into `refs/credex/<branch>`; returns the fetched tip."""
        ref = f"refs/credex/{branch}"
        self._fetch(f"+refs/heads/{branch}:{ref}", f"branch {branch!r}")
        return self._git("rev-parse", "--verify", f"{ref}^{{commit}}").stdout.strip()

    def fetch_commit(self, sha: str) -> str | None:
        """Fetch one commit by SHA (servers that allow it, as GitHub does for reachable commits)."""
        if not _SHA.match(sha or ""):
            return None
        try:
            self._fetch(f"+{sha}:refs/credex/keep/{sha}", f"commit {sha[:12]}")
        except GitError:
            return None
        return self.resolve(sha)

    def resolve(self, sha: str) -> str | None:
        """The full SHA of a commit in the cache (short SHAs allowed), or None when it is not here."""
        if not re.fullmatch(r"[0-9a-f]{7,40}", sha or ""):
            return None
        result = self._git("rev-parse", "--verify", "--quiet", f"{sha}^{{commit}}", ok_codes=(0, 1, 128))
        return result.stdout.strip() or None if result.returncode == 0 else None

    def tree(self, sha: str) -> str:
        """The tree SHA of a commit: two commits with the same tree hold the same files."""
        return self._git("rev-parse", "--verify", f"{sha}^{{tree}}").stdout.strip()

    def keep(self, sha: str) -> None:
        """Pin `sha` so later diffs against it work whatever happens to the branch; keep the newest KEEP."""
        self._git("update-ref", f"refs/credex/keep/{sha}", sha)
        listing = self._git(
            "for-each-ref", "--sort=-committerdate", "--format=%(refname)", "refs/credex/keep/"
        ).stdout.split()
        for ref in listing[self.KEEP :]:
            self._git("update-ref", "-d", ref)

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """Whether `ancestor` is in the history of `descendant` (both must be in the cache)."""
        result = self._git("merge-base", "--is-ancestor", ancestor, descendant, ok_codes=(0, 1))
        return result.returncode == 0

    def changed_paths(self, old: str, new: str) -> list[str]:
        """Paths whose content differs between the trees of two commits, related or not (renames count as
        both paths)."""
        result = self._git("diff", "--name-only", "--no-renames", "-z", old, new)
        return sorted(path for path in result.stdout.split("\0") if path)
