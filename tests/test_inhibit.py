"""Inhibition (inhibit.py): table tests of rules and windows, and one through the pipeline."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO
from tests.test_pipeline import Web
from wirewatch.delivery.inhibit import InhibitConfig, OpenAlert, inhibited_by, rules
from wirewatch.delivery.matchers import Labels
from wirewatch.demo import SampleItem
from wirewatch.ingest.fetch import Fetcher
from wirewatch.loading import load_everything
from wirewatch.pipeline import Pipeline
from wirewatch.storage.sqlite import SqliteStore
from wirewatch.stories.index import StoryIndex
from wirewatch.testing import FixedClock

T0 = datetime(2024, 12, 7, 12, 0, tzinfo=UTC)
RULE = rules(
    [InhibitConfig(source=("severity >= high",), target=("severity < high",), window=6 * 3600)],
    48 * 3600,
)
MAJOR = OpenAlert("al_major", Labels("syria", ("homs", "hts"), ("place",), "critical"), T0)


@pytest.mark.parametrize(
    ("labels", "at", "expected"),
    [
        (Labels("syria", ("homs",), severity="low"), T0 + timedelta(hours=1), True),
        (Labels("syria", ("homs",)), T0 + timedelta(hours=6), True),  # normal, end of window
        (Labels("syria", ("homs",)), T0 + timedelta(hours=6, seconds=1), False),  # closed
        (Labels("syria", ("homs",)), T0 - timedelta(seconds=1), False),  # not yet open
        (Labels("syria", ("hama",), severity="low"), T0 + timedelta(hours=1), False),  # elsewhere
        (Labels("syria", ("homs",), severity="high"), T0 + timedelta(hours=1), False),  # not lower
        (Labels("syria", ("aleppo", "hts")), T0 + timedelta(hours=1), True),  # any shared entity
    ],
)
def test_an_open_major_alert_mutes_lesser_ones_on_the_same_entity(
    labels: Labels, at: datetime, expected: bool
) -> None:
    why = inhibited_by(RULE, [MAJOR], labels, at)
    assert expected == (why == "inhibited by al_major (inhibit[0])")


def test_equal_on_other_labels_and_the_default_window() -> None:
    """`equal: [watchlist]` compares watchlists only; without `window`, the default one."""
    [rule] = rules(
        [InhibitConfig(source=("entity = homs",), target=("kind = actor",), equal=("watchlist",))],
        3600,
    )
    actor = Labels("syria", ("un",), ("actor",))
    assert inhibited_by([rule], [MAJOR], actor, T0 + timedelta(minutes=59)) is not None
    assert inhibited_by([rule], [MAJOR], actor, T0 + timedelta(minutes=61)) is None
    elsewhere = Labels("iraq", ("un",), ("actor",))
    assert inhibited_by([rule], [MAJOR], elsewhere, T0) is None


def test_a_bad_rule_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        f"watchlists: [{REPO / 'config/watchlists/syria.yaml'}]\n"
        "inhibit: [{source: ['entity = homz'], target: ['severity < hihg']}]\n",
        encoding="utf-8",
    )
    with pytest.raises(Exception) as caught:
        load_everything(config)
    assert "unknown severity 'hihg'" in str(caught.value)


async def test_the_pipeline_mutes_a_lesser_alert_while_a_major_one_is_open(
    tmp_path: Path,
) -> None:
    watchlist = tmp_path / "w.yaml"
    watchlist.write_text(
        "name: w\nentities:\n"
        "  - {id: homs, kind: place, names: [Homs]}\n"
        "  - {id: hts, kind: actor, names: [HTS], severity: critical}\n",
        encoding="utf-8",
    )
    config = tmp_path / "c.yaml"
    config.write_text(
        json.dumps(
            {
                "data_dir": str(tmp_path),
                "watchlists": [str(watchlist)],
                "feeds": [{"url": "http://a.test/feed", "name": "a", "backfill": True}],
                "inhibit": [{"source": ["severity >= high"], "target": ["severity < high"]}],
            }
        ),
        encoding="utf-8",
    )
    loaded = load_everything(config)
    web, clock = Web(), FixedClock(T0)
    store = SqliteStore(tmp_path / "w.db")
    await store.open()
    await store.migrate()
    fetcher = Fetcher(transport=httpx.MockTransport(web.handle))
    pipeline = Pipeline(loaded, store=store, fetcher=fetcher, stories=StoryIndex(), clock=clock)
    feed = loaded.config.feeds[0]
    major = SampleItem("1", "HTS fighters storm Homs", "Heavy fighting.", "http://a.test/1")
    minor = SampleItem("2", "Bakery reopens in Homs old town", "Bread again.", "http://a.test/2")
    web.feed("http://a.test/feed", major)
    [first] = (await pipeline.poll(feed)).alerts
    clock.now = T0 + timedelta(hours=1)
    web.feed("http://a.test/feed", major, minor)
    [second] = (await pipeline.poll(feed)).alerts
    assert ("critical", None) == (first.severity, first.muted)
    assert f"inhibited by {first.id} (inhibit[0])" == second.muted
    assert [first.id] == [d.alert_id for d in await store.list_deliveries()]
    await fetcher.aclose()
    await store.close()
