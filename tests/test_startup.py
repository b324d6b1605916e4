"""Start-up stays lean: a poll cycle where every feed answers 304 needs no parser, no
story-grouping maths, no SMTP client and no process pool, so importing the application loads
none of them."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("feedparser", "datasketch", "scipy", "aiosmtplib", "multiprocessing")
PROBE = (
    "import sys, wirewatch.app, wirewatch.commands.poll, wirewatch.pipeline; "
    f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
)


def test_importing_the_application_loads_no_parser_and_no_scipy() -> None:
    """feedparser (~60 ms) waits for a document the fast reader refuses, datasketch and scipy
    (~500 ms) for the first word set indexed, aiosmtplib (~4 ms) for the first mail sent and
    multiprocessing (~7 ms, with concurrent.futures.process) for the daemon's parse pool."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True
    )

    assert "" == result.stdout.strip()
