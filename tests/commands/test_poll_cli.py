"""`wirewatch poll --once`: what it leaves behind in its caller's interpreter, and where its
cycle parses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import LOCAL_FETCH, REPO
from tests.integration.processes import descendants
from wirewatch.commands.poll import PROCESSES_FROM, cycle_pipeline
from wirewatch.ingest.workers import LazyPool
from wirewatch.loading import load_everything
from wirewatch.storage.sqlite import SqliteStore

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


def _parses_in(tmp_path: Path, count: int, workers: int) -> object:
    config = tmp_path / f"c{count}-{workers}.yaml"
    feeds = [{"url": f"http://n{n}.test/feed", "name": f"n{n}"} for n in range(count)]
    config.write_text(
        json.dumps(
            {
                "data_dir": str(tmp_path),
                "watchlists": [str(REPO / "config/watchlists/syria.yaml")],
                "feeds": feeds,
                "fetch": {**LOCAL_FETCH, "parse_workers": workers},
            }
        ),
        encoding="utf-8",
    )
    loaded = load_everything(config)
    pipeline = cycle_pipeline(loaded, SqliteStore(tmp_path / "w.db"), list(loaded.config.feeds))
    executor = pipeline.parse_executor
    if executor is not None:
        executor.shutdown()
    return type(executor).__name__


def test_a_cycle_of_many_feeds_parses_in_worker_processes(tmp_path: Path) -> None:
    """From `PROCESSES_FROM` feeds on, bodies are parsed in `fetch.parse_workers` processes
    (0: in a thread, as a smaller cycle always is)."""
    assert (
        "NoneType",
        LazyPool.__name__,
        "NoneType",
    ) == (
        _parses_in(tmp_path, PROCESSES_FROM - 1, 2),
        _parses_in(tmp_path, PROCESSES_FROM, 2),
        _parses_in(tmp_path, PROCESSES_FROM, 0),
    )


def test_the_worker_pool_starts_no_process_before_its_first_task() -> None:
    """A cycle where every feed answers 304 parses nothing, so it starts no process (neither a
    worker nor multiprocessing's tracker); the first task starts the pool."""
    before = descendants(os.getpid())
    pool = LazyPool(1)
    try:
        idle = descendants(os.getpid()) - before
        assert 4 == pool.submit(len, "abcd").result(timeout=60)
    finally:
        pool.shutdown()
    assert set() == idle
