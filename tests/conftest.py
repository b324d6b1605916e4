"""Fixtures every test can take: paths to the repository and the shared eval data, the real
gazetteer, a fixed `clock`, a migrated SQLite `store`, and real local servers on 127.0.0.1:
`feeds` (wirewatch.demo's feed server) and the one webhook `receiver`. Helpers that are not
fixtures are in tests/support.py."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.notify.servers import Receiver
    from wirewatch.demo import FeedServer
    from wirewatch.gazetteer import Gazetteer
    from wirewatch.storage import Store
    from wirewatch.testing import FixedClock

REPO = Path(__file__).resolve().parent.parent
LOCAL_FETCH: dict[str, object] = {"allow_networks": ["127.0.0.0/8"]}
"""The `fetch:` settings of a config whose feeds are this machine's test servers: the fetch guard
refuses loopback addresses unless `fetch.allow_networks` lets them through."""


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """`classify` caches compiled watchlists; tests (and their subprocesses) use their own."""
    session = tmp_path_factory.mktemp("cache")
    os.environ["WIREWATCH_CACHE_DIR"] = str(session)
    _share_gazetteer(session)


def _share_gazetteer(session: Path) -> None:
    """Story grouping opens the gazetteer (its index takes about 20 s to build): build it once
    per machine in a lasting test cache and link it into the session's folder, so that no
    daemon a test starts spends its first poll building it."""
    from wirewatch.gazetteer.index import index_path, open_gazetteer

    lasting = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "wirewatch-tests"
    lasting.mkdir(parents=True, exist_ok=True)
    open_gazetteer(lasting).close()
    index_path(session).symlink_to(index_path(lasting))


SHARED = Path(os.environ.get("WIREWATCH_SHARED", REPO.parent / "shared"))


@pytest.fixture
def eval_dir() -> Path:
    """../shared/eval (or $WIREWATCH_EVAL); the test skips when it is absent."""
    path = Path(os.environ.get("WIREWATCH_EVAL", SHARED / "eval"))
    if not (path / "dev-items.jsonl").exists():
        pytest.skip(f"labelled eval items not found at {path}")
    return path


@pytest.fixture(scope="session")
def gazetteer(_private_cache: None) -> Iterator[Gazetteer]:
    """The real gazetteer, its index built once per session in the session's cache folder
    (about half a minute), where the CLI tests' subprocesses find it too."""
    from wirewatch.config.cachedir import cache_dir
    from wirewatch.gazetteer import open_gazetteer

    found = open_gazetteer(cache_dir())
    yield found
    found.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1 that records requests and answers `reply()`s in turn
    (204 when none is queued); stopped, thread and socket, after the test."""
    from tests.notify.servers import Receiver

    with Receiver() as receiver:
        yield receiver


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """A migrated SQLite store in the test's folder (tests/storage/ runs every store instead)."""
    from wirewatch.storage.sqlite import SqliteStore

    async with SqliteStore(tmp_path / "wirewatch.db") as store:
        await store.migrate()
        yield store


@pytest.fixture
def clock() -> FixedClock:
    """A clock that stands still at `tests.notify.scenarios.NOW` until a test sets `now`."""
    from wirewatch.testing import FixedClock

    return FixedClock()


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    """A feed server on 127.0.0.1 with no feeds yet (`add_feed`, `publish`); stopped after."""
    from wirewatch.demo import FeedServer

    server = FeedServer().start()
    yield server
    server.stop()
