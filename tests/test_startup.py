"""Start-up stays lean: a poll cycle where every feed answers 304 needs no parser and no
story-grouping maths, so importing the application loads neither."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("feedparser", "datasketch", "scipy")
PROBE = (
    "import sys, wirewatch.app, wirewatch.commands.poll, wirewatch.pipeline; "
    f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
)


def test_importing_the_application_loads_no_parser_and_no_scipy() -> None:
    """feedparser (~60 ms) waits for a document the fast reader refuses, datasketch and scipy
    (~500 ms) for the first word set indexed."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True
    )

    assert "" == result.stdout.strip()
