"""Three `wirewatch run` instances on one PostgreSQL: they split the feeds, survive a kill -9
of one of them, create every alert once and deliver every alert (repeats only with the same id)."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import yaml

from tests.conftest import LOCAL_FETCH, REPO
from tests.integration.test_daemon import wait_for
from tests.notify.servers import free_port
from wirewatch.demo import FeedServer, SampleItem

pytestmark = [pytest.mark.integration, pytest.mark.postgres]
PG_URL = os.environ.get("WIREWATCH_TEST_PG_URL", "")
FEEDS, INTERVAL = 200, 3.0
WORDS = (
    "convoy border talks ceasefire airport bridge checkpoint dam port market school clinic".split()
)


class Receiver:
    """A webhook receiver that records (webhook-id, item ids) of every request."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, list[str]]] = []
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                with lock:
                    receiver.seen.append(
                        (self.headers["webhook-id"], [i["id"] for i in body.get("items", [])])
                    )
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        ThreadingHTTPServer.request_queue_size = 128
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def items(self) -> set[str]:
        return {i for _, ids in self.seen for i in ids}


@pytest.fixture
def database() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("WIREWATCH_TEST_PG_URL is not set (./dev test starts a throwaway PostgreSQL)")
    name = f"wwcluster_{secrets.token_hex(4)}"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield PG_URL.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_three_instances_split_work_and_survive_a_kill(database: str, tmp_path: Path) -> None:
    feeds = FeedServer().start()
    for n in range(FEEDS):
        feeds.add_feed(f"f{n}")
    receiver = Receiver()
    config = {
        "watchlists": [str(REPO / "config/watchlists/syria.yaml")],
        "storage": {"url": database},
        "feeds": [
            {"url": feeds.url(f"f{n}"), "name": f"f{n}", "interval": INTERVAL} for n in range(FEEDS)
        ],
        "fetch": {"parse_workers": 0, "per_host": 20, "concurrency": 20, **LOCAL_FETCH},
        "notifiers": [
            {"name": "hook", "type": "webhook", "url": receiver.url, "digest_threshold": 10000}
        ],
        "daemon": {"grace": 5, "log_level": "warning"},
    }
    instances: list[tuple[subprocess.Popen[bytes], int]] = []
    logs = []
    try:
        for index in range(3):
            port = free_port()
            config.update(data_dir=str(tmp_path / f"d{index}"), http={"port": port})
            path = tmp_path / f"c{index}.yaml"
            path.write_text(yaml.safe_dump(config), encoding="utf-8")
            log = open(tmp_path / f"i{index}.log", "wb")  # noqa: SIM115 - closed below
            logs.append(log)
            process = subprocess.Popen(
                [sys.executable, "-m", "wirewatch", "run", "--config", str(path)],
                stdout=log,
                stderr=log,
            )
            instances.append((process, port))
        api = f"http://127.0.0.1:{instances[0][1]}"
        wait_for(
            lambda: _feeds(api) and all(f["status"] == "ok" for f in _feeds(api)),
            "every feed polled once",
            timeout=90,
        )
        holders = {f["held_by"] for f in _feeds(api)} - {None}
        assert 2 <= len(holders), f"the instances should share the feeds: {holders}"

        published: list[str] = []
        for round_ in range(30):
            item_id = f"item-{round_}"
            # Distinct words per item: each is its own story, so each must alert.
            words = " ".join(secrets.token_hex(3) for _ in range(6))
            feeds.publish(
                f"f{(round_ * 7) % FEEDS}",
                SampleItem(
                    item_id, f"Homs {words}", f"Report {words}.", f"https://x.example/{round_}"
                ),
            )
            published.append(item_id)
            if round_ == 15:
                instances[1][0].send_signal(signal.SIGKILL)
            time.sleep(0.4)
        killed_at = time.time()
        wait_for(lambda: set(published) <= receiver.items(), "every alert delivered", timeout=120)

        survivor = f"http://127.0.0.1:{instances[2][1]}"
        time.sleep(2 * INTERVAL)
        now = datetime.now(UTC)
        stale = [
            f["name"]
            for f in _feeds(survivor)
            if (now - datetime.fromisoformat(f["last_success"])).total_seconds() > 2 * INTERVAL + 2
        ]
        assert [] == stale, "feeds not polled within two intervals after the kill"
        assert killed_at  # the kill happened in the middle of publishing

        with psycopg.connect(database) as db:
            alerts = db.execute("SELECT count(*), count(DISTINCT id) FROM alerts").fetchone()
        assert (len(published), len(published)) == alerts
        ids = [webhook_id for webhook_id, _ in receiver.seen]
        repeats = len(ids) - len(set(ids))
        assert repeats <= 16, f"{repeats} repeated deliveries"
        by_id: dict[str, set[str]] = {}
        for webhook_id, items in receiver.seen:
            by_id.setdefault(webhook_id, set()).update(items)
        assert all(len(items) == 1 for items in by_id.values()), "one id must mean one alert"
    finally:
        for process, _ in instances:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process, _ in instances:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        feeds.stop()
        receiver.server.shutdown()
        receiver.server.server_close()
        for log in logs:
            log.close()


def _feeds(api: str) -> list[dict[str, Any]]:
    try:
        rows: list[dict[str, Any]] = httpx.get(f"{api}/api/feeds", timeout=5).json()["feeds"]
        return rows
    except (httpx.HTTPError, ValueError, KeyError):
        return []
