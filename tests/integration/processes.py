"""Processes under a pid, read from /proc (Linux): for tests that must leave none behind."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterable
from pathlib import Path

PROC = Path("/proc")


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of `pid`, or None when it does not exist."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # the name may hold spaces and parentheses
    return fields[0], int(fields[1])


def descendants(pid: int) -> set[int]:
    """Every living process below `pid`: children, their children, and so on."""
    parents: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (found := _stat(int(entry.name))) and found[0] != "Z":
            parents.setdefault(found[1], []).append(int(entry.name))
    below: set[int] = set()
    todo = [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            if child not in below:
                below.add(child)
                todo.append(child)
    return below


def alive(pids: Iterable[int]) -> set[int]:
    """The processes of `pids` that still run (a zombie has ended)."""
    return {pid for pid in pids if (found := _stat(pid)) is not None and found[0] != "Z"}


def command_line(pid: int) -> str:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def kill_all(pids: Iterable[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def wait_gone(pids: Iterable[int], timeout: float) -> set[int]:
    """Wait up to `timeout` seconds for `pids` to end; return those still alive."""
    left = alive(pids)
    deadline = time.monotonic() + timeout
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = alive(left)
    return left


def catches(pid: int, sig: int) -> bool:
    """Whether `pid` has a handler installed for `sig` (SigCgt in /proc/PID/status)."""
    try:
        status = (PROC / str(pid) / "status").read_text()
    except OSError:
        return False
    for line in status.splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (sig - 1) & 1)
    return False
