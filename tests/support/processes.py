"""Stopping a process we started together with everything it started (code servers, run workers)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path


def descendants(pid: int) -> list[int]:
    """Every live descendant of `pid`, read from /proc (children first found, grandchildren after)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def matching(*texts: str) -> list[int]:
    """Live processes whose command line contains every one of `texts` (e.g. a run id)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError, ValueError):
            line = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if line and all(text in line for text in texts) and alive(int(cmdline.parent.name)):
                found.append(int(cmdline.parent.name))
    return found


def stop_tree(process: subprocess.Popen, timeout: float = 30) -> list[int]:
    """SIGTERM `process` (SIGKILL after `timeout`), then SIGTERM/SIGKILL what it had started and left behind.

    Dagster starts code servers in their own sessions, so a process-group signal does not reach them.
    Returns the descendants it found, so a caller can check that none is left.
    """
    started = descendants(process.pid) if process.poll() is None else []
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    survivors = [pid for pid in started if alive(pid)]
    for pid in survivors:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(pid) for pid in survivors):
        time.sleep(0.2)
    for pid in survivors:
        if alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    return started


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
