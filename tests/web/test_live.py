"""GET /events: new alerts as server-sent events; a reconnect gets what it missed."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import httpx

from tests.web.conftest import ARABIC, NOW, Desk


async def read_events(
    client: httpx.AsyncClient, headers: dict[str, str], count: int
) -> list[dict[str, str]]:
    """The first `count` events of the stream, each as its fields."""
    events: list[dict[str, str]] = []
    fields: dict[str, str] = {}
    async with client.stream("GET", "/events", headers=headers) as response:
        assert "text/event-stream" == response.headers["Content-Type"]
        async for line in response.aiter_lines():
            if not line:
                if "data" in fields:
                    events.append(fields)
                    if len(events) == count:
                        return events
                fields = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(": ")
                fields[name] = value
    return events


async def test_reconnect_with_last_event_id_gets_the_missed_alerts(desk: Desk) -> None:
    """Alerts created after the Last-Event-ID come oldest first, rendered and escaped."""
    seen = await desk.alert("l1", "Shelling in Hama", at=NOW - timedelta(minutes=30))
    missed = await desk.alert(
        "l2", "<b>HTS</b> <script>x</script> enters Homs", at=NOW - timedelta(minutes=20)
    )
    later = await desk.alert("l3", "Assad leaves Damascus", at=NOW - timedelta(minutes=10))
    last_id = f"{(NOW - timedelta(minutes=30)).isoformat()} {seen}"
    events = await asyncio.wait_for(
        read_events(desk.client, {"Last-Event-ID": last_id}, 2), timeout=10
    )
    data = [json.loads(e["data"]) for e in events]
    assert [missed, later] == [d["id"] for d in data]
    assert seen not in [d["id"] for d in data]
    assert ["story", "story"] == [e["event"] for e in events]
    assert f"{(NOW - timedelta(minutes=10)).isoformat()} {later}" == events[1]["id"]
    assert "&lt;script&gt;x" in data[0]["html"]
    assert "<script>" not in data[0]["html"] and "<b>" not in data[0]["html"]


async def test_a_new_alert_reaches_an_open_stream(desk: Desk) -> None:
    """An alert stored while the stream is open is sent on it."""
    after = (NOW - timedelta(minutes=40)).isoformat()
    reader = asyncio.create_task(read_events(desk.client, {"Last-Event-ID": after}, 1))
    await asyncio.sleep(0.3)
    assert not reader.done()
    fresh = await desk.alert("n1", "Rebels reach Hama", at=NOW - timedelta(minutes=1))
    [event] = await asyncio.wait_for(reader, timeout=10)
    assert fresh == json.loads(event["data"])["id"]


async def test_a_bad_last_event_id_is_a_400(desk: Desk) -> None:
    """An id that is not a time is refused in one line."""
    response = await desk.client.get("/events", headers={"Last-Event-ID": "yesterday"})
    assert (400, "bad_request") == (response.status_code, response.json()["error"])


async def test_a_story_that_gains_a_source_is_sent_again(desk: Desk) -> None:
    """When another outlet joins a story the page shows, an `update` event carries it."""
    first = await desk.alert("u1", "Rebels reach Hama", at=NOW - timedelta(minutes=30))
    after = f"{(NOW - timedelta(minutes=30)).isoformat()} {first}"
    reader = asyncio.create_task(read_events(desk.client, {"Last-Event-ID": after}, 1))
    await asyncio.sleep(0.5)  # the stream has looked once: one source
    story = await desk.story_of(first)
    await desk.alert(
        "u2",
        "Rebels reach Hama, SOHR says",
        feed=ARABIC,
        story=story,
        at=NOW - timedelta(minutes=2),
    )
    [event] = await asyncio.wait_for(reader, timeout=10)
    data = json.loads(event["data"])
    assert ("update", first) == (event["event"], data["id"])
    assert "<summary>2 sources</summary>" in data["html"]
    assert "id" not in event


async def test_a_story_sent_live_then_joined_is_updated(desk: Desk) -> None:
    """A story first sent on the stream, then joined by another outlet before the stream
    next looks for new sources, is sent again."""
    desk.sources.update_interval = 1.0
    after = f"{(NOW - timedelta(minutes=40)).isoformat()} x"
    reader = asyncio.create_task(read_events(desk.client, {"Last-Event-ID": after}, 2))
    await asyncio.sleep(0.3)
    first = await desk.alert("v1", "Rebels reach Hama", at=NOW - timedelta(minutes=3))
    await asyncio.sleep(0.3)  # sent as a story with one source; the next look is at 1 s
    story = await desk.story_of(first)
    await desk.alert(
        "v2", "Rebels reach Hama", feed=ARABIC, story=story, at=NOW - timedelta(minutes=2)
    )
    events = await asyncio.wait_for(reader, timeout=10)
    assert [("story", first), ("update", first)] == [
        (e["event"], json.loads(e["data"])["id"]) for e in events
    ]


async def test_stopping_the_server_ends_open_streams(desk: Desk) -> None:
    """An open stream ends when the server stops, instead of holding the stop until aiohttp's
    shutdown timeout (5 s) cancels it."""
    after = f"{NOW.isoformat()} x"
    reader = asyncio.create_task(read_events(desk.client, {"Last-Event-ID": after}, 1))
    await asyncio.sleep(0.3)
    await asyncio.wait_for(desk.server.stop(), timeout=4)
    assert [] == await asyncio.wait_for(reader, timeout=1)
