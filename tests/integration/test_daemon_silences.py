"""A silence added over the HTTP API mutes a live alert in a running daemon; once it is
expired (DELETE), the next alert goes through, and the muted one is not sent late."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.conftest import LOCAL_FETCH
from tests.integration.test_daemon import (  # noqa: F401 - fixtures
    SECRET,
    Daemon,
    daemon_factory,
    wait_for,
)
from tests.notify.servers import Receiver
from wirewatch.demo import FeedServer, SampleItem

pytestmark = pytest.mark.integration

CAPTURE = SampleItem(
    "w1",
    "Rebels capture Aleppo in lightning offensive",
    "HTS-led fighters took most of Syria's second city.",
    "https://a.example/1",
)
AIRPORT = SampleItem(
    "w2",
    "Aleppo airport reopens to civilian flights",
    "The first plane landed from Damascus on Tuesday morning.",
    "https://a.example/2",
)


def alerts(daemon: Daemon) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = daemon.json("/api/alerts")["alerts"]
    return found


def test_a_silence_over_the_api_mutes_then_expires(
    feeds: FeedServer,
    receiver: Receiver,
    daemon_factory: Callable[[dict[str, Any]], Daemon],  # noqa: F811
) -> None:
    feeds.add_feed("wire")
    config = {
        "feeds": [{"url": feeds.url("wire"), "name": "wire", "interval": 1}],
        "notifiers": [{"name": "hook", "type": "webhook", "url": receiver.url, "secret": SECRET}],
        "fetch": LOCAL_FETCH,
        "daemon": {"grace": 5},
    }
    daemon = daemon_factory(config).start()
    wait_for(lambda: daemon.json("/api/feeds")["feeds"][0]["status"] == "ok", "first poll")
    api = f"http://127.0.0.1:{daemon.port}/api/silences"

    body = {"matchers": {"entity": "aleppo"}, "duration": "6h", "comment": "known", "author": "ci"}
    made = httpx.post(api, json=body, timeout=5)
    assert 201 == made.status_code, made.text
    silence = made.json()
    assert ({"entity": "aleppo"}, "active", "ci") == (
        silence["matchers"],
        silence["state"],
        silence["author"],
    )
    assert [silence["id"]] == [s["id"] for s in httpx.get(api, timeout=5).json()["silences"]]

    feeds.publish("wire", CAPTURE)
    wait_for(lambda: len(alerts(daemon)) == 1, "the muted alert")
    [muted] = alerts(daemon)
    assert (f"silence {silence['id']}: known", []) == (muted["muted"], muted["deliveries"])
    metrics = httpx.get(f"http://127.0.0.1:{daemon.port}/metrics", timeout=5).text
    assert 'wirewatch_alerts_muted_total{reason="silence"} 1.0' in metrics

    expired = httpx.delete(f"{api}/{silence['id']}", timeout=5)
    assert (200, "expired") == (expired.status_code, expired.json()["state"])
    assert 404 == httpx.delete(f"{api}/sil_unknown", timeout=5).status_code

    feeds.publish("wire", AIRPORT)
    wait_for(lambda: len(receiver.received()) >= 1, "the next alert's delivery")
    time.sleep(1.0)  # a late send of the muted alert would arrive in this time
    sent = [json.loads(r.body)["alert_id"] for r in receiver.received()]
    newest = alerts(daemon)[0]
    assert ([newest["id"]], None) == (sent, newest["muted"])
    assert muted["id"] != newest["id"]
