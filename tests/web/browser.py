"""Debian's chromium under Playwright, and a real `wirewatch run` with local feeds.

Playwright's own browser download cannot work here, so the tests launch /usr/bin/chromium
(`scripts/ensure-chromium` installs it; `./dev test` runs that). Without it the tests skip,
except in CI (`CI=true`), where a missing browser is a failure.
"""

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

CHROMIUM = Path(os.environ.get("WIREWATCH_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def need_chromium() -> None:
    """Skip (or, in CI, fail) when Debian's chromium is not installed."""
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing: run scripts/ensure-chromium (apt-get install chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason + "; CI must run the browser tests")
    pytest.skip(reason)


class Daemon:
    """`wirewatch run` in a subprocess, on a fixed port so that a restart keeps the address."""

    def __init__(self, tmp: Path, config: dict[str, Any]) -> None:
        self.port = free_port()
        config["http"] = {**config.get("http", {}), "port": self.port}
        config.setdefault("watchlists", [str(REPO / "config/watchlists/syria.yaml")])
        config["data_dir"] = str(tmp / "data")
        self.config = tmp / "wirewatch.yaml"
        self.config.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        self.log = tmp / "daemon.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Daemon:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "wirewatch", "run", "--config", str(self.config)],
                stdout=log,
                stderr=log,
                env=dict(os.environ, WIREWATCH_DAEMON__LOG_FORMAT="json"),
            )
        wait_for(self._healthy, "the daemon's /healthz", timeout=30)
        return self

    def wait_polled(self, token: str) -> None:
        """Until every feed has had its first poll (which records items without alerting) or
        failed it."""

        def polled() -> bool:
            headers = {"Authorization": f"Bearer {token}"}
            feeds = httpx.get(f"{self.url}/api/feeds", headers=headers, timeout=2).json()["feeds"]
            return all(f["last_success"] or f["consecutive_failures"] for f in feeds)

        wait_for(polled, "every feed's first poll", timeout=60)

    def poll_once(self) -> None:
        """`wirewatch poll --once` on the same config and database, while no daemon runs."""
        subprocess.run(
            [sys.executable, "-m", "wirewatch", "poll", "--once", "--config", str(self.config)],
            check=False,
            capture_output=True,
            timeout=60,
        )

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers past 20 s; always waits for the process."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
