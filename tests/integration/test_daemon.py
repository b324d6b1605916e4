"""`wirewatch run` end to end: a real daemon process, a real feed server, a real webhook
receiver and a real SMTP server, all on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from aiosmtpd.controller import Controller
from standardwebhooks import Webhook

from tests.conftest import LOCAL_FETCH, REPO
from tests.integration.processes import descendants, kill_all, wait_gone
from tests.notify.servers import Receiver, SmtpHandler, free_port
from wirewatch.demo import FeedServer, SampleItem

pytestmark = pytest.mark.integration
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def smtp() -> Iterator[tuple[int, SmtpHandler]]:
    handler = SmtpHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, handler
    controller.stop()


class Daemon:
    """A `wirewatch run` subprocess with its config, HTTP port and output."""

    def __init__(self, tmp: Path, config: dict[str, Any]) -> None:
        self.port = free_port()
        config.setdefault("http", {})["port"] = self.port
        self.watchlist = tmp / "watchlist.yaml"
        if not self.watchlist.exists():
            self.watchlist.write_text((REPO / "config/watchlists/syria.yaml").read_text())
        config["watchlists"] = [str(self.watchlist)]
        config["data_dir"] = str(tmp / "data")
        self.config = tmp / "wirewatch.yaml"
        self.config.write_text(yaml.safe_dump(config), encoding="utf-8")
        self.log = open(tmp / "daemon.log", "ab")  # noqa: SIM115 - closed in stop()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Daemon:
        env = dict(os.environ, WIREWATCH_DAEMON__LOG_FORMAT="json")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "wirewatch", "run", "--config", str(self.config)],
            stdout=self.log,
            stderr=self.log,
            env=env,
        )
        wait_for(lambda: self.get("/healthz") == 200, "daemon health", timeout=30)
        return self

    def get(self, path: str) -> int | None:
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}{path}", timeout=2).status_code
        except httpx.HTTPError:
            return None

    def json(self, path: str) -> Any:
        return httpx.get(f"http://127.0.0.1:{self.port}{path}", timeout=5).json()

    def signal(self, sig: int) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def wait(self, timeout: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def stop(self) -> None:
        """Kill the daemon if it still runs, and anything it left behind."""
        if self.process and self.process.poll() is None:
            below = descendants(self.process.pid)
            self.process.kill()
            self.process.wait()
            kill_all(wait_gone(below, timeout=5))
        self.log.close()

    def events(self) -> list[dict[str, Any]]:
        """The daemon's JSON log lines so far."""
        lines = (self.config.parent / "daemon.log").read_text(errors="replace").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]


def wait_for(condition: Callable[[], object], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def verified(receiver: Receiver) -> list[dict[str, Any]]:
    """Every received webhook, signature verified with the reference implementation."""
    hook = Webhook(SECRET)
    return [hook.verify(r.body, r.headers) for r in receiver.received()]


@pytest.fixture
def daemon_factory(tmp_path: Path) -> Iterator[Callable[[dict[str, Any]], Daemon]]:
    started: list[Daemon] = []

    def make(config: dict[str, Any]) -> Daemon:
        daemon = Daemon(tmp_path, config)
        started.append(daemon)
        return daemon

    yield make
    for daemon in started:
        daemon.stop()


def base_config(feeds: FeedServer, receiver: Receiver, smtp_port: int) -> dict[str, Any]:
    return {
        "feeds": [
            {"url": feeds.url("wire"), "name": "wire", "interval": 1},
            {"url": feeds.url("desk"), "name": "desk", "interval": 1},
        ],
        "notifiers": [
            {"name": "hook", "type": "webhook", "url": receiver.url, "secrets": [SECRET]},
            {
                "name": "mail",
                "type": "email",
                "host": "127.0.0.1",
                "port": smtp_port,
                "security": "none",
                "from": "wirewatch@example.org",
                "to": ["desk@example.org"],
            },
        ],
        "fetch": LOCAL_FETCH,
        "daemon": {"grace": 5},
    }


def test_alerts_flow_once_signed_and_stories_group(
    feeds: FeedServer,
    receiver: Receiver,
    smtp: tuple[int, SmtpHandler],
    daemon_factory: Callable[[dict[str, Any]], Daemon],
) -> None:
    """A matching item alerts once, signed, by webhook and email; a near-duplicate from the
    second feed joins the story; a non-matching item does not alert; SIGTERM exits 0."""
    port, mail = smtp
    feeds.add_feed("wire")
    feeds.add_feed("desk")
    daemon = daemon_factory(base_config(feeds, receiver, port)).start()
    wait_for(
        lambda: (
            len(daemon.json("/api/feeds")["feeds"]) == 2
            and all(f["status"] == "ok" for f in daemon.json("/api/feeds")["feeds"])
        ),
        "first polls",
    )

    published = time.monotonic()
    feeds.publish(
        "wire",
        SampleItem(
            "w1",
            "Rebels capture Aleppo in lightning offensive",
            "HTS-led fighters took most of Syria's second city.",
            "https://a.example/1",
        ),
    )
    feeds.publish(
        "wire", SampleItem("w2", "Stock markets rally", "Tech shares led.", "https://a.example/2")
    )
    wait_for(lambda: len(receiver.received()) >= 1 and len(mail.envelopes) >= 1, "first delivery")
    latency = time.monotonic() - published
    feeds.publish(
        "desk",
        SampleItem(
            "d1",
            "Aleppo falls to HTS-led rebels in lightning offensive",
            "Opposition fighters led by HTS seized most of Aleppo, Syria's second city.",
            "https://b.example/1",
        ),
    )
    wait_for(
        lambda: (
            daemon.json("/api/alerts?since=1h")["alerts"]
            and len(daemon.json("/api/alerts?since=1h")["alerts"][0]["sources"]) == 2
        ),
        "story join",
    )
    time.sleep(2.5)  # two more poll intervals: nothing else may arrive

    payloads = verified(receiver)
    assert 1 == len(payloads), payloads
    assert ("alert.created", "syria") == (payloads[0]["type"], payloads[0]["watchlist"])
    assert {"aleppo", "hts", "syria"} <= {e["id"] for e in payloads[0]["entities"]}
    assert 1 == len(mail.envelopes)
    assert latency < 1 + 3, f"publication to receipt took {latency:.1f} s with a 1 s interval"

    daemon.signal(signal.SIGTERM)
    assert 0 == daemon.wait(timeout=10)


def test_reload_changes_what_alerts_and_invalid_edit_keeps_old(
    feeds: FeedServer,
    receiver: Receiver,
    smtp: tuple[int, SmtpHandler],
    daemon_factory: Callable[[dict[str, Any]], Daemon],
) -> None:
    """SIGHUP with an edited watchlist changes what alerts; an invalid edit keeps the old
    watchlist running and shows in /readyz."""
    port, _ = smtp
    feeds.add_feed("wire")
    feeds.add_feed("desk")
    config = base_config(feeds, receiver, port)
    config["notifiers"] = config["notifiers"][:1]
    config["daemon"]["watch_files"] = False
    daemon = daemon_factory(config).start()
    wait_for(
        lambda: all(f["status"] == "ok" for f in daemon.json("/api/feeds")["feeds"]), "first polls"
    )

    text = daemon.watchlist.read_text()
    daemon.watchlist.write_text(text + "  - {id: oslo, kind: place, names: [Oslo]}\n")
    daemon.signal(signal.SIGHUP)
    wait_for(lambda: daemon.get("/readyz") == 200, "ready after reload")
    time.sleep(0.5)
    feeds.publish(
        "wire",
        SampleItem(
            "o1", "Snow closes Oslo airport", "Flights were cancelled.", "https://a.example/o1"
        ),
    )
    wait_for(lambda: len(receiver.received()) == 1, "alert from the edited watchlist")
    assert ["oslo"] == [e["id"] for e in verified(receiver)[0]["entities"]]

    daemon.watchlist.write_text(text + "  - {id: oslo, kind: town, names: [Oslo]}\n")
    daemon.signal(signal.SIGHUP)
    wait_for(
        lambda: daemon.json("/readyz")["checks"]["last_reload"]["ok"] is False, "reload error shown"
    )
    assert "kind" in json.dumps(daemon.json("/readyz")["checks"]["last_reload"])
    feeds.publish(
        "desk",
        SampleItem(
            "o2",
            "Oslo hosts donor conference on reconstruction",
            "Pledges rose.",
            "https://b.example/o2",
        ),
    )
    wait_for(lambda: len(receiver.received()) == 2, "old watchlist still alerts")

    daemon.signal(signal.SIGTERM)
    assert 0 == daemon.wait(timeout=10)


def test_kill_9_and_restart_lose_nothing_and_resend_nothing_acknowledged(
    feeds: FeedServer,
    receiver: Receiver,
    smtp: tuple[int, SmtpHandler],
    daemon_factory: Callable[[dict[str, Any]], Daemon],
) -> None:
    """Alerts queued while the receiver fails survive a kill -9; after a restart each arrives,
    and what was acknowledged before the kill is not sent again."""
    port, _ = smtp
    feeds.add_feed("wire")
    feeds.add_feed("desk")
    config = base_config(feeds, receiver, port)
    config["notifiers"] = config["notifiers"][:1]
    config["daemon"]["delivery_lease"] = 3  # a row the killed process had claimed frees up soon
    daemon = daemon_factory(config).start()
    wait_for(
        lambda: all(f["status"] == "ok" for f in daemon.json("/api/feeds")["feeds"]), "first polls"
    )

    feeds.publish(
        "wire", SampleItem("k1", "Fighting near Homs", "Clashes.", "https://a.example/k1")
    )
    wait_for(lambda: len(receiver.received()) == 1, "first alert acknowledged")
    for _ in range(20):
        receiver.reply(503)  # the receiver is down for a while
    feeds.publish(
        "desk",
        SampleItem("k2", "Kurdish forces enter Deir ez-Zor", "SDF said.", "https://b.example/k2"),
    )
    wait_for(lambda: len(receiver.received()) >= 2, "second alert attempted")
    daemon.signal(signal.SIGKILL)
    daemon.wait(timeout=10)
    while receiver.replies.qsize():
        receiver.replies.get_nowait()

    before = len(receiver.received())
    restarted = daemon_factory(config).start()  # same data directory, a new process
    wait_for(
        lambda: "k2" in _item_ids(receiver, since=before), "delivery after restart", timeout=40
    )
    ids = [r.headers["webhook-id"] for r in receiver.received()]
    first_id = receiver.received()[0].headers["webhook-id"]
    assert 1 == ids.count(first_id), "an acknowledged delivery was sent again"
    assert {"k2"} == _item_ids(receiver, since=before), "only the unacknowledged alert is resent"
    restarted.signal(signal.SIGTERM)
    assert 0 == restarted.wait(timeout=10)


def _item_ids(receiver: Receiver, since: int = 0) -> set[str]:
    hook = Webhook(SECRET)
    payloads = [hook.verify(r.body, r.headers) for r in receiver.received()[since:]]
    return {i["id"] for p in payloads for i in p.get("items", [])}


def test_second_signal_stops_at_once_and_the_outbox_keeps_the_alert(
    feeds: FeedServer,
    receiver: Receiver,
    smtp: tuple[int, SmtpHandler],
    daemon_factory: Callable[[dict[str, Any]], Daemon],
) -> None:
    """SIGTERM waits for an in-flight delivery (grace 30 s); a second SIGTERM exits at once
    with 0; the interrupted alert is delivered after a restart, with the same webhook-id."""
    port, _ = smtp
    feeds.add_feed("wire")
    feeds.add_feed("desk")
    config = base_config(feeds, receiver, port)
    config["notifiers"] = config["notifiers"][:1]
    config["daemon"].update(grace=30, delivery_lease=2)
    daemon = daemon_factory(config).start()
    wait_for(
        lambda: all(f["status"] == "ok" for f in daemon.json("/api/feeds")["feeds"]), "first polls"
    )
    receiver.reply(204, delay=20)  # the receiver hangs on the first delivery
    feeds.publish("wire", SampleItem("s1", "Shelling reported in Hama", "Residents fled.", ""))
    wait_for(lambda: len(receiver.received()) == 1, "delivery in flight")
    daemon.signal(signal.SIGTERM)
    time.sleep(1.0)
    assert daemon.process is not None and daemon.process.poll() is None, "waits for in-flight work"
    started = time.monotonic()
    daemon.signal(signal.SIGTERM)
    assert 0 == daemon.wait(timeout=5)
    assert time.monotonic() - started < 3
    first_id = receiver.received()[0].headers["webhook-id"]

    restarted = daemon_factory(config).start()
    wait_for(lambda: len(receiver.received()) >= 2, "redelivery after restart", timeout=30)
    assert first_id == receiver.received()[1].headers["webhook-id"]
    restarted.signal(signal.SIGTERM)
    assert 0 == restarted.wait(timeout=30)
