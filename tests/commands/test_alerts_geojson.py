"""`wirewatch alerts --geojson` after a real poll: alerts at the places their watchlist locates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import LOCAL_FETCH
from tests.support import wirewatch
from wirewatch.demo import FeedServer, SampleItem

pytestmark = pytest.mark.integration

WATCHLIST = """\
name: located
entities:
  - {id: homs, kind: place, names: [Homs], coordinates: [34.724, 36.726], admin: [Syria, Homs]}
  - {id: hts, kind: actor, names: [HTS]}
"""


ITEMS = (
    SampleItem("w1", "Rebels enter Homs", "HTS fighters downtown.", "https://a.example/1"),
    SampleItem("w2", "HTS statement", "No place named.", "https://a.example/2"),
)


def test_alerts_geojson_has_a_point_per_located_place(tmp_path: Path, feeds: FeedServer) -> None:
    feed = feeds.add_feed("wire", items=list(ITEMS))
    (tmp_path / "located.yaml").write_text(WATCHLIST, encoding="utf-8")
    config = tmp_path / "wirewatch.yaml"
    config.write_text(json.dumps({
        "data_dir": str(tmp_path / "data"), "watchlists": ["located.yaml"],
        "feeds": [{"url": feed, "name": "wire", "backfill": True}], "fetch": LOCAL_FETCH,
    }), encoding="utf-8")  # fmt: skip
    polled = wirewatch("poll", "--once", "--config", str(config))
    assert 0 == polled.returncode, polled.stderr
    done = wirewatch("alerts", "--geojson", "--config", str(config))
    assert 0 == done.returncode, done.stderr
    found = json.loads(done.stdout)
    assert "FeatureCollection" == found["type"]
    [feature] = found["features"]  # the alert naming only HTS has no place to stand on
    assert [36.726, 34.724] == feature["geometry"]["coordinates"]
    assert ("Rebels enter Homs", ["Syria", "Homs"]) == (
        feature["properties"]["title"],
        feature["properties"]["admin"],
    )
