"""Parse workers: they die with their parent, and hold no pipe end only the parent uses."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.integration.processes import alive, wait_gone
from wirewatch.ingest.workers import parse_pool

# A parent that starts a worker the way the daemon does, prints the worker's pid, then dies
# with SIGKILL before it could stop anything.
PARENT = textwrap.dedent(
    """
    import os, signal, sys
    from wirewatch.ingest.workers import parse_pool

    if __name__ == "__main__":
        pool = parse_pool(1)
        print(pool.submit(os.getpid).result(), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """
)


@pytest.mark.integration
def test_a_worker_exits_when_its_parent_is_killed() -> None:
    """`kill -9` of the process that started the pool ends the worker too."""
    result = subprocess.run(
        [sys.executable, "-c", PARENT], capture_output=True, text=True, timeout=60, check=False
    )
    worker = int(result.stdout.split()[0])
    try:
        assert -9 == result.returncode, result.stderr
        assert set() == wait_gone({worker}, timeout=5)
    finally:
        for pid in alive({worker}):
            os.kill(pid, 9)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux only")
def test_die_with_parent_asks_linux_for_a_death_signal() -> None:
    """On Linux the kernel is asked to SIGKILL the worker when its parent dies."""
    code = "from wirewatch.ingest.workers import die_with_parent; print(die_with_parent())"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert "True" == result.stdout.strip()


# A parent whose child watches it with `watch_parent` only (no death signal), then dies.
WATCHED = textwrap.dedent(
    """
    import os, signal
    from wirewatch.ingest.workers import watch_parent

    parent = os.getpid()
    child = os.fork()
    if child == 0:
        watch_parent(parent, every=0.05)
    else:
        print(child, flush=True)
        os.kill(parent, signal.SIGKILL)
    """
)


@pytest.mark.integration
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_the_parent_watch_alone_ends_an_orphan() -> None:
    """Where no death signal exists, the worker's watch of its parent's pid ends it."""
    result = subprocess.run(
        [sys.executable, "-c", WATCHED], capture_output=True, text=True, timeout=60, check=False
    )
    child = int(result.stdout.split()[0])
    try:
        assert set() == wait_gone({child}, timeout=5)
    finally:
        for pid in alive({child}):
            os.kill(pid, 9)


def _pipes_held_twice() -> list[str]:
    """The pipes of which this process holds both ends (Linux: /proc/self/fd)."""
    seen: dict[str, int] = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("pipe:"):
            seen[target] = seen.get(target, 0) + 1
    return sorted(pipe for pipe, count in seen.items() if count > 1)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_a_worker_holds_no_pipe_by_both_ends() -> None:
    """A worker keeps only the ends it uses, so a dead parent's queue reads as EOF."""
    with parse_pool(1) as pool:
        held = pool.submit(_pipes_held_twice).result(timeout=60)

    assert [] == held


def test_the_pool_starts_a_worker_only_when_a_body_needs_parsing() -> None:
    """A cycle where every feed answers 304 spawns nothing: no process before the first task,
    then one per task as long as none is idle (up to the pool's size)."""
    before = set(multiprocessing.active_children())
    with parse_pool(2) as pool:
        idle = set(multiprocessing.active_children()) - before
        pool.submit(os.getpid).result(timeout=60)
        after_one = set(multiprocessing.active_children()) - before

        assert (0, 1) == (len(idle), len(after_one))
