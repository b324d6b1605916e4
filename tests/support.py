"""Helpers the tests share (fixtures are in tests/conftest.py): running the command line."""

from __future__ import annotations

import subprocess
import sys
from typing import Any


def wirewatch(
    *args: str, stdin: str | None = None, timeout: float = 60, **run: Any
) -> subprocess.CompletedProcess[str]:
    """`python -m wirewatch ARGS` in a child process, text in and out, whatever its exit code
    (the caller asserts it); `run` goes to `subprocess.run` (env, cwd, preexec_fn)."""
    return subprocess.run(
        [sys.executable, "-m", "wirewatch", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **run,
    )
