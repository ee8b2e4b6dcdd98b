"""The builder's and smoke test's user data: valid bash, and the memory script run for real on files."""

from __future__ import annotations

import subprocess

from credex_orchestration.images.user_data import builder_user_data, memory_script, smoke_user_data


def test_user_data_is_valid_bash(tmp_path) -> None:
    scripts = {
        "build": builder_user_data(
            edition="community",
            version="5.26.12",
            repository_url="https://yum.neo4j.com/stable/latest",
            gpg_key_url="https://debian.neo4j.com/neotechnology.gpg.key",
            region="af-south-1",
            parameter="/credex/neo4j-ami/run/build",
        ),
        "smoke": smoke_user_data(region="af-south-1", parameter="/credex/neo4j-ami/run/smoke"),
    }
    for name, text in scripts.items():
        assert "@" not in text.replace("@{", ""), f"{name}: unrendered placeholder"
        path = tmp_path / f"{name}.sh"
        path.write_text(text)
        check = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, f"{name}: {check.stderr}"
    assert memory_script() in scripts["build"]


def test_memory_script_sets_heap_to_a_quarter_and_page_cache_to_half(tmp_path) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       16384000 kB\nMemFree:         1000000 kB\n")
    conf = tmp_path / "neo4j.conf"
    conf.write_text(
        "server.default_listen_address=0.0.0.0\n"
        "#server.memory.heap.initial_size=512m\n"
        "server.memory.heap.max_size=1g\n"
        "#server.memory.pagecache.size=10g\n"
    )
    script = tmp_path / "memory.sh"
    script.write_text(memory_script())
    for _ in range(2):  # runs on every boot: idempotent
        subprocess.run(
            ["bash", str(script)],
            check=True,
            env={"MEMINFO": str(meminfo), "NEO4J_CONF": str(conf), "PATH": "/usr/bin:/bin"},
        )
    assert conf.read_text().splitlines() == [
        "server.default_listen_address=0.0.0.0",
        "server.memory.heap.initial_size=4000m",
        "server.memory.heap.max_size=4000m",
        "server.memory.pagecache.size=8000m",
    ]
