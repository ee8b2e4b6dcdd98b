"""stop_tree: the test helpers that start dagster processes leave nothing running behind them."""

from __future__ import annotations

import subprocess
import time

from .support.processes import alive, descendants, stop_tree


def test_stop_tree_reaches_children_in_their_own_session() -> None:
    parent = subprocess.Popen(["bash", "-c", "sleep 300 & setsid sleep 301 & wait"])
    deadline = time.monotonic() + 10
    while len(descendants(parent.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    children = descendants(parent.pid)
    assert len(children) == 2, children
    stop_tree(parent, timeout=5)
    assert parent.poll() is not None
    assert not any(alive(pid) for pid in children), children
