"""Feed health, delivery health, the bench and the exports."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

from tests.web.conftest import NOW, WIRE, Desk
from wirewatch.storage import DeliveryState
from wirewatch.web._feeds import plain_error, sparkline, state_of

ATOM = "{http://www.w3.org/2005/Atom}"


async def test_failing_feeds_come_first_with_the_error_in_words(desk: Desk) -> None:
    """A failing feed is listed before a healthy one, its error said plainly, raw text beside."""
    desk.feeds.append(
        {
            "name": "Broken",
            "url": "https://broken.example/rss",
            "status": "failing",
            "consecutive_failures": 4,
            "last_error": "connection refused",
            "next_due": NOW + timedelta(minutes=10),
        }
    )
    page = (await desk.client.get("/feeds")).text
    names = re.findall(r'<tr class="feed">\s*<td><span dir="auto">([^<]+)</span>', page)
    assert ["Broken", "Wire", "الجزيرة"] == names
    assert "nothing answers at that address" in page
    assert "in 10 min" in page


async def test_sparkline_counts_items_per_day(desk: Desk) -> None:
    """The sparkline's label gives the items first seen per UTC day, oldest first."""
    await desk.alert("s1", "Shelling in Hama", at=NOW - timedelta(days=2))
    await desk.alert("s2", "Rebels in Homs", at=NOW - timedelta(hours=1))
    await desk.alert("s3", "Assad in Damascus", at=NOW - timedelta(hours=2))
    await desk.alert("s4", "Too old: Aleppo", at=NOW - timedelta(days=14))
    page = (await desk.client.get("/feeds")).text
    label = re.search(
        r'aria-label="(\d+) items in 14 days; per day, oldest first: ([\d, ]+)"', page
    )
    assert label is not None
    assert ("3", [0] * 11 + [1, 0, 2]) == (label[1], [int(n) for n in label[2].split(", ")])


def test_feed_states_in_words() -> None:
    """Each stored status reads as one of the states an analyst knows."""
    assert [
        "disabled",
        "failing",
        "backing off",
        "silent",
        "not modified",
        "ok",
        "not polled yet",
    ] == [
        state_of(row, NOW)
        for row in (
            {"status": "gone"},
            {"status": "failing", "consecutive_failures": 3, "next_due": NOW},
            {"status": "failing", "consecutive_failures": 1, "next_due": NOW},
            {"status": "ok", "silent": True},
            {"status": "ok", "http_status": 304},
            {"status": "ok", "http_status": 200},
            {"status": "pending"},
        )
    ]
    assert ("the server failed (5xx)", "odd thing") == (
        plain_error("HTTP 503 Service Unavailable"),
        plain_error("odd thing"),
    )


def test_sparkline_scales_to_the_busiest_day() -> None:
    """The busiest day touches the top of the box, an empty day the bottom."""
    assert "0.0,22.0 56.0,2.0 112.0,12.0" == sparkline([0, 4, 2])


async def test_empty_panels_say_so(desk: Desk) -> None:
    """No dead letters and an empty bench say so."""
    deliveries = (await desk.client.get("/deliveries")).text
    assert "No dead letters." in deliveries
    assert '<table id="bench-matches"' not in (await desk.client.get("/bench")).text


async def test_dead_letter_retry_requeues_it(desk: Desk) -> None:
    """A dead letter shows with its reason; Retry puts it back in the queue."""
    await desk.alert("d1", "Shelling in Hama")
    [row] = await desk.store.claim_deliveries(NOW, limit=1, lease_seconds=60, owner="t")
    await desk.store.dead_letter(row.id, "HTTP 400 Bad Request")
    page = (await desk.client.get("/deliveries")).text
    retried = await desk.client.post("/deliveries/retry", data={"id": row.id})
    assert "HTTP 400 Bad Request" in page and 'name="id" value="' + row.id in page
    assert (303, "/deliveries?requeued=1") == (retried.status_code, retried.headers["Location"])
    assert [] == await desk.store.list_deliveries(DeliveryState.DEAD)


async def test_bench_highlights_matches_and_explains_near_misses(desk: Desk) -> None:
    """Pasted text shows each match with its rule, and each name set aside with the reason."""
    text = "Hamas fighters near Homs; un accord; Damascus steel <b>x</b>"
    page = (await desk.client.post("/bench", data={"watchlist": "syria", "text": text})).text
    assert '<mark title="homs by the name Homs">Homs</mark>' in page
    assert "not a whole word (&#39;Hamas&#39;)" in page  # Hama in Hamas
    assert "counts only written in capitals" in page  # un
    assert "inside the exclude phrase &#39;Damascus steel&#39;" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page


async def test_bench_json_is_what_classify_explain_finds(desk: Desk) -> None:
    """POST /api/bench returns the matches and near misses as JSON."""
    response = await desk.client.post(
        "/api/bench", json={"watchlist": "syria", "text": "Hamas in Homs"}
    )
    body = response.json()
    assert (True, ["homs"], ["hama"]) == (
        body["alert"],
        [m["entity"] for m in body["matches"]],
        [m["entity"] for m in body["near_misses"]],
    )
    unknown = await desk.client.post("/api/bench", json={"watchlist": "nope", "text": "x"})
    assert 400 == unknown.status_code


async def test_atom_export_is_a_feed_of_the_filtered_view(desk: Desk) -> None:
    """The Atom export parses, holds the filtered alerts newest first, escaped."""
    await desk.alert("e1", "Shelling in Hama <i>now</i>", at=NOW - timedelta(hours=2))
    await desk.alert("e2", "Assad speaks at the UN", at=NOW - timedelta(hours=1))  # actors only
    response = await desk.client.get("/export/alerts.atom?kind=place")
    feed = ET.fromstring(response.content)
    titles = [e.findtext(f"{ATOM}title") for e in feed.iter(f"{ATOM}entry")]
    assert "application/atom+xml" == response.headers["Content-Type"].split(";")[0]
    assert ["Shelling in Hama <i>now</i>"] == titles


async def test_csv_and_json_exports(desk: Desk) -> None:
    """CSV has one row per alert (a formula-like title made text); JSON has the records."""
    await desk.alert("e1", "=HYPERLINK(1) Hama", at=NOW - timedelta(hours=2))
    await desk.alert("e2", "Assad leaves Damascus", at=NOW - timedelta(hours=1))
    rows = list(csv.DictReader(io.StringIO((await desk.client.get("/export/alerts.csv")).text)))
    body = (await desk.client.get("/export/alerts.json?entity=assad")).json()
    assert ["Assad leaves Damascus", "'=HYPERLINK(1) Hama"] == [r["title"] for r in rows]
    assert [WIRE] == [r["feed"] for r in rows[:1]]
    assert ["Assad leaves Damascus"] == [a["title"] for a in body["alerts"]]


async def test_without_silences_the_page_says_so_and_chips_offer_no_mute(desk: Desk) -> None:
    """A daemon without /api/silences shows no mute button and says why the panel is empty."""
    await desk.alert("m1", "Shelling in Homs")
    stories = (await desk.client.get("/")).text
    silences = (await desk.client.get("/silences")).text
    assert 'class="mute"' not in stories
    assert "does not serve silences" in silences


async def test_delivery_health_from_the_dispatchers_reading_when_given(desk: Desk) -> None:
    """With a notifiers source (/api/notifiers), its state, queue and oldest age are shown."""

    async def notifiers() -> list[dict[str, object]]:
        return [
            {
                "notifier": "hook",
                "state": "failing",
                "pending": 3,
                "failed": 2,
                "dead": 0,
                "oldest_pending_seconds": 7200,
                "last_error": "HTTP 503 Service Unavailable",
            }
        ]

    desk.sources.notifiers = notifiers
    page = (await desk.client.get("/deliveries")).text
    row = re.search(r'<table id="notifiers">.*?</table>', page, re.DOTALL)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row[0], re.DOTALL)
    assert ["hook", "failing", "3", "2", "0"] == cells[:5]
    assert "2 h ago" in cells[5] and "HTTP 503 Service Unavailable" == cells[6]
