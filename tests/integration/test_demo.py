"""`wirewatch run --demo`: the fetch guard lets through the demo's own server and nothing else."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import REPO
from tests.integration.test_daemon import wait_for
from tests.notify.servers import free_port
from tests.sites import Site, feed

pytestmark = pytest.mark.integration


def get(port: int, path: str) -> Any:
    try:
        return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2).json()
    except (httpx.HTTPError, ValueError):
        return None


def joined(port: int) -> list[dict[str, Any]]:
    alerts = (get(port, "/api/alerts?since=1h") or {}).get("alerts") or []
    return [a for a in alerts if len({s["feed"] for s in a["sources"]}) == 2]


def test_the_demo_alerts_from_its_own_server_while_other_local_feeds_stay_refused(
    tmp_path: Path,
) -> None:
    """With no allow list in the config, the demo's 127.0.0.1 feeds are polled and alert; a
    configured feed on another local address is still refused by the guard. The second
    outlet's report of the first sample event joins its story: one alert, two sources."""
    port = free_port()
    with Site("127.0.0.2") as internal:
        internal.route("/feed.xml", feed())
        config = tmp_path / "wirewatch.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "data_dir": str(tmp_path / "data"),
                    "watchlists": [str(REPO / "config/watchlists/syria.yaml")],
                    "feeds": [{"url": internal.url(), "name": "internal", "interval": 1}],
                    "fetch": {"parse_workers": 0},
                    "http": {"port": port},
                    "daemon": {"grace": 5, "log_format": "json"},
                }
            ),
            encoding="utf-8",
        )
        log = (tmp_path / "daemon.log").open("wb")
        command = [sys.executable, "-m", "wirewatch", "run", "--demo", "--demo-every", "0.5"]
        process = subprocess.Popen(
            [*command, "--config", str(config)], stdout=log, stderr=log, env=dict(os.environ)
        )
        try:
            wait_for(lambda: joined(port), "a story with two outlets", 60)
            feeds = {f["name"]: f for f in get(port, "/api/feeds")["feeds"]}
            stories = joined(port)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
            log.close()

    assert {"internal", "demo sample-wire.xml", "demo sample-desk.xml"} == set(feeds)
    assert "ok" == feeds["demo sample-wire.xml"]["status"]
    assert feeds["internal"]["last_error"].startswith("refused to connect to 127.0.0.2: ")
    assert 0 == internal.connections
    assert [{"sample-01", "sample-16"}] == [{s["item_id"] for s in a["sources"]} for a in stories]
