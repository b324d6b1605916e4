"""Hot reload: the file watch settles before reading, survives any failure, and what is refused."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from wirewatch import app, reloading
from wirewatch.daemon import Daemon
from wirewatch.loading import Loaded, load_everything


@contextlib.asynccontextmanager
async def watching(
    files: list[Path], changed: Callable[[], object], *, settle: float = 0.3
) -> AsyncIterator[None]:
    async def call() -> None:
        changed()

    task = asyncio.create_task(reloading.watch(lambda: files, call, every=0.05, settle=settle))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_file_written_in_pieces_is_read_once_when_it_has_settled(tmp_path: Path) -> None:
    """Truncated, then written a moment later (within `settle`): one call, after the file is
    complete, never while it is empty."""
    path = tmp_path / "wirewatch.yaml"
    path.write_text("feeds: []\n")
    seen: list[str] = []
    async with watching([path], lambda: seen.append(path.read_text())):
        await asyncio.sleep(0.2)
        path.write_text("")
        await asyncio.sleep(0.15)
        path.write_text("feeds: [{url: https://a.example/feed}]\n")
        await asyncio.sleep(1.0)

    assert ["feeds: [{url: https://a.example/feed}]\n"] == seen


async def test_the_watch_goes_on_after_a_reload_raises(tmp_path: Path) -> None:
    """A reload that raises (here a MemoryError) does not end the watch: the next edit is seen."""
    path = tmp_path / "wirewatch.yaml"
    path.write_text("a: 1\n")
    calls: list[str] = []

    def changed() -> None:
        calls.append(path.read_text())
        if len(calls) == 1:
            raise MemoryError

    async with watching([path], changed, settle=0.1):
        await asyncio.sleep(0.2)
        path.write_text("a: 2\n")
        await asyncio.sleep(0.6)
        path.write_text("a: 3\n")
        await asyncio.sleep(0.6)

    assert ["a: 2\n", "a: 3\n"] == calls


@pytest.mark.parametrize(
    ("feeds_now", "feeds_new", "queued", "notifiers_new", "expected"),
    [
        (2, 0, {}, ["hook"], "the new config has no enabled feed (the running one has 2)"),
        (0, 0, {}, ["hook"], None),
        (2, 1, {"hook": 3}, ["console"], "removes notifier(s) with queued deliveries: 'hook'"),
        (2, 1, {"hook": 3}, ["hook", "mail"], None),
        (2, 2, {}, ["console"], None),
    ],
)
def test_refusal(
    feeds_now: int,
    feeds_new: int,
    queued: dict[str, int],
    notifiers_new: list[str],
    expected: str | None,
) -> None:
    """Dropping every feed, or a notifier that still has queued rows, is refused; the rest is
    applied."""
    reason = reloading.refusal(
        feeds_now=feeds_now, feeds_new=feeds_new, queued=queued, notifiers_new=notifiers_new
    )

    assert (expected is None) == (reason is None)
    if expected is not None:
        assert reason is not None and expected in reason and "SIGHUP" in reason


def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "wirewatch.yaml"
    config = {
        "watchlists": [str(REPO / "config/watchlists/syria.yaml")],
        "data_dir": str(tmp_path / "data"),
        "feeds": [{"url": "http://127.0.0.1:9/feed.xml", "name": "wire"}],
        "fetch": {"parse_workers": 0},
        "http": {"enabled": False},
    }
    path.write_text(yaml.safe_dump(config))
    return path


async def test_a_reload_that_fails_for_any_reason_keeps_the_old_config(tmp_path: Path) -> None:
    """A reload whose loading raises something no one planned for (a MemoryError) keeps the
    running config and says why, prefixed so `/readyz` reads "config reload failed: ..."."""
    path = config_file(tmp_path)
    loaded = load_everything(path)

    def out_of_memory(_: str) -> Loaded:
        raise MemoryError("alias expansion")

    daemon = Daemon(app.build(loaded), str(path), load=out_of_memory)
    try:
        applied = await daemon.reload("file_changed")
    finally:
        await daemon.app.aclose()

    assert (False, loaded) == (applied, daemon.loaded)
    assert "config reload failed: MemoryError: alias expansion" == daemon.app.api.reload_error
