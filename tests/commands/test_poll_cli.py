"""`wirewatch poll --once` run in-process: what it leaves behind in its caller's interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

PROBE = """
import gc, sys
from wirewatch.cli import main
codes = [main(["poll", "--once", "--config", path]) for path in sys.argv[1:]]
print(codes, gc.isenabled())
"""


def test_poll_leaves_the_garbage_collector_on(tmp_path: Path) -> None:
    """Collection is off while the config loads and its objects are frozen; an in-process
    caller gets it back on, after a cycle and after a config that fails to load alike (run in
    a child interpreter: the command also sets up logging, for the whole process)."""
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    watchlist = str(REPO / "config/watchlists/syria.yaml")
    good.write_text(json.dumps({"data_dir": str(tmp_path), "watchlists": [watchlist]}))
    bad.write_text(json.dumps({"data_dir": str(tmp_path), "feeds": "not a list"}))
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(good), str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )

    assert "[0, 2] True" == result.stdout.strip().splitlines()[-1], result.stderr
