"""`wirewatch poll --once` run in-process: what it leaves behind in its caller's interpreter."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest

from tests.conftest import REPO


def test_poll_leaves_the_garbage_collector_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Collection is off while the config loads and its objects are frozen; an in-process
    caller gets it back on, after a cycle and after a config that fails to load alike."""
    from wirewatch.cli import main

    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    watchlist = str(REPO / "config/watchlists/syria.yaml")
    good.write_text(json.dumps({"data_dir": str(tmp_path), "watchlists": [watchlist]}))
    bad.write_text(json.dumps({"data_dir": str(tmp_path), "feeds": "not a list"}))
    try:
        assert 0 == main(["poll", "--once", "--config", str(good)])
        assert gc.isenabled()
        assert 2 == main(["poll", "--once", "--config", str(bad)])
        assert gc.isenabled()
    finally:
        gc.unfreeze()
    assert "feeds" in capsys.readouterr().err
