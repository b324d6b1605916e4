"""`wirewatch run` when its own host fails it: killed outright, stopped while starting, its store
locked, its config file half-saved or broken. Real daemon processes, real local servers."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import LOCAL_FETCH
from tests.integration.processes import (
    alive,
    catches,
    command_line,
    descendants,
    kill_all,
    wait_gone,
)
from tests.integration.test_daemon import Daemon, wait_for
from tests.notify.servers import Receiver
from wirewatch.demo import FeedServer, SampleItem

pytestmark = pytest.mark.integration
HOMS = SampleItem("h1", "Shelling reported in Homs", "Residents fled.", "https://a.example/h1")


@pytest.fixture(autouse=True)
def _wire_and_desk(feeds: FeedServer) -> None:
    """The feed server (from conftest) serves two empty feeds, "wire" and "desk"."""
    feeds.add_feed("wire")
    feeds.add_feed("desk")


@pytest.fixture
def daemons(tmp_path: Path) -> Iterator[Callable[[dict[str, Any]], Daemon]]:
    started: list[Daemon] = []

    def make(config: dict[str, Any]) -> Daemon:
        started.append(Daemon(tmp_path, config))
        return started[-1]

    yield make
    for daemon in started:
        daemon.stop()


def config_for(feeds: FeedServer, *names: str, **daemon: Any) -> dict[str, Any]:
    return {
        "feeds": [{"url": feeds.url(n), "name": n, "interval": 1} for n in names],
        "fetch": dict(LOCAL_FETCH),
        "daemon": {"grace": 5, **daemon},
    }


def named(daemon: Daemon, event: str) -> list[dict[str, Any]]:
    return [e for e in daemon.events() if e.get("event") == event]


def metric(daemon: Daemon, line: str) -> float:
    text = httpx.get(f"http://127.0.0.1:{daemon.port}/metrics", timeout=5).text
    found = [row for row in text.splitlines() if row.startswith(line + " ")]
    return float(found[0].split()[-1]) if found else 0.0


def polled(daemon: Daemon, count: int) -> bool:
    states = daemon.json("/api/feeds")["feeds"]
    return len(states) == count and all(f["status"] == "ok" for f in states)


# ---- processes ---------------------------------------------------------------------------


def test_kill_9_leaves_no_parse_worker_or_resource_tracker_behind(
    feeds: FeedServer, daemons: Callable[[dict[str, Any]], Daemon]
) -> None:
    """After `kill -9` of the daemon, every process it had started (its parse workers and the
    multiprocessing resource tracker) is gone within a few seconds."""
    config = config_for(feeds, "wire", "desk")
    config["fetch"] = {**LOCAL_FETCH, "parse_workers": 2}
    daemon = daemons(config).start()
    assert daemon.process is not None
    below: set[int] = set()
    try:
        wait_for(lambda: polled(daemon, 2), "first polls")
        wait_for(
            lambda: any("spawn_main" in command_line(p) for p in descendants(daemon.process.pid)),
            "a parse worker",
        )
        below = descendants(daemon.process.pid)
        workers = {p for p in below if "spawn_main" in command_line(p)}
        tracker = {p for p in below if "resource_tracker" in command_line(p)}
        assert workers and tracker, {p: command_line(p) for p in below}

        daemon.process.send_signal(signal.SIGKILL)
        daemon.process.wait(timeout=10)
        left = wait_gone(below, timeout=5)

        assert set() == left, {p: command_line(p) for p in left}
    finally:
        kill_all(alive(below))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_while_starting_exits_cleanly(
    tmp_path: Path, feeds: FeedServer, sig: signal.Signals
) -> None:
    """SIGTERM or SIGINT that arrives as soon as `wirewatch run` can catch it, long before the
    daemon has started, stops it cleanly: exit 0, nothing started, no traceback. (Python
    catches SIGINT itself from the start; SIGTERM shows when wirewatch's handlers, SIGINT's
    first, are in place.)"""
    daemon = Daemon(tmp_path, config_for(feeds, "wire"))
    process = subprocess.Popen(
        [sys.executable, "-m", "wirewatch", "run", "--config", str(daemon.config)],
        stdout=daemon.log,
        stderr=daemon.log,
        env={
            "WIREWATCH_DAEMON__LOG_FORMAT": "json",
            "PATH": "/usr/bin:/bin",
            # the session's cache, where the gazetteer index is already built (else the
            # daemon would spend its start building it, signal or not)
            "WIREWATCH_CACHE_DIR": os.environ["WIREWATCH_CACHE_DIR"],
        },
    )
    try:
        wait_for(lambda: catches(process.pid, signal.SIGTERM), "a handler", timeout=30)
        process.send_signal(sig)
        code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        daemon.log.close()
    log = (tmp_path / "daemon.log").read_text()

    assert 0 == code, log
    assert "Traceback" not in log
    assert "daemon_started" not in log
    assert [sig.name] == [e["signal"] for e in daemon.events() if e["event"] == "stopping"]


def test_an_http_port_in_use_is_one_line_and_exit_2(tmp_path: Path, feeds: FeedServer) -> None:
    """Another program listens on `http.port`: one line naming the address and the key to
    change, exit 2, no traceback, and no process left behind."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        daemon = Daemon(tmp_path, config_for(feeds, "wire"))
        rewrite(daemon, {**config_for(feeds, "wire"), "http": {"port": taken.getsockname()[1]}})
        result = subprocess.run(
            [sys.executable, "-m", "wirewatch", "run", "--config", str(daemon.config)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        daemon.log.close()

    assert 2 == result.returncode, result.stderr
    assert [
        f"wirewatch: error: http: cannot listen on {address}: address already in use; set "
        "http.port (or WIREWATCH_HTTP__PORT) to a free port, or stop the program using it"
    ] == result.stderr.splitlines()
    assert "Traceback" not in result.stdout


# ---- store faults ------------------------------------------------------------------------


def test_store_faults_are_one_line_per_poll_counted_degraded_and_recovered_once(
    feeds: FeedServer, daemons: Callable[[dict[str, Any]], Daemon]
) -> None:
    """While another process holds the database locked, each poll (its lease included) logs
    one `poll_not_stored`, no traceback, and counts as failed; runs due while a poll still
    waits are one structured `poll_skipped_still_running` event. While `<db>.lock` cannot be
    opened, `/readyz` is degraded naming `store_writes`. Each time the fault goes,
    `store_writes_recovered` is logged once and the feed polls again."""
    daemon = daemons(config_for(feeds, "wire")).start()
    wait_for(lambda: polled(daemon, 1), "first poll")
    failed_before = metric(daemon, 'wirewatch_polls_total{outcome="failed"}')
    database = daemon.config.parent / "data" / "wirewatch.db"

    lock = sqlite3.connect(database, timeout=30, isolation_level=None)
    try:
        lock.execute("BEGIN EXCLUSIVE")  # every write waits `busy_timeout`, then fails
        wait_for(lambda: len(named(daemon, "poll_not_stored")) >= 2, "failed polls", timeout=40)
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    wait_for(lambda: named(daemon, "store_writes_recovered"), "recovery", timeout=30)
    locked = named(daemon, "poll_not_stored")
    failed = metric(daemon, 'wirewatch_polls_total{outcome="failed"}')

    Path(f"{database}.lock").unlink(missing_ok=True)
    Path(f"{database}.lock").mkdir()  # opening the story lock file fails at once
    try:
        feeds.publish("wire", HOMS)
        wait_for(lambda: len(named(daemon, "poll_not_stored")) > len(locked), "lock file fails")
        ready = daemon.json("/readyz")
    finally:
        Path(f"{database}.lock").rmdir()
    wait_for(lambda: len(named(daemon, "store_writes_recovered")) == 2, "second recovery")
    wait_for(lambda: daemon.json("/api/alerts?since=1h")["alerts"], "an alert after recovery")

    assert failed >= failed_before + len(locked) >= failed_before + 2
    assert all("database is locked" in e["error"] for e in locked)
    assert [] == [e for e in daemon.events() if e["event"] == "job_failed" or "exception" in e]
    skipped = named(daemon, "poll_skipped_still_running")
    assert skipped and {feeds.url("wire")} == {e["job"] for e in skipped}
    assert all("maximum number of running instances" in e["message"] for e in skipped)
    assert not [e for e in daemon.events() if "maximum number" in e["event"]]
    assert ("ready", ["store_writes"]) == (ready["status"], ready["degraded"])
    assert ".lock" in ready["checks"]["store_writes"]["detail"]
    assert 2 == len(named(daemon, "store_writes_recovered"))
    assert [] == daemon.json("/readyz")["degraded"]


# ---- reload ------------------------------------------------------------------------------


def rewrite(daemon: Daemon, config: dict[str, Any]) -> None:
    config = {"http": {"port": daemon.port}, **config, "watchlists": [str(daemon.watchlist)]}
    config["data_dir"] = str(daemon.config.parent / "data")
    daemon.config.write_text(yaml.safe_dump(config), encoding="utf-8")


def feed_names(daemon: Daemon) -> list[str]:
    return sorted(f["name"] for f in daemon.json("/api/feeds")["feeds"])


def test_a_half_saved_config_is_not_applied_and_a_broken_one_keeps_the_watch_alive(
    feeds: FeedServer, daemons: Callable[[dict[str, Any]], Daemon]
) -> None:
    """An editor that truncates the file and writes it a moment later: only the full file is
    read. A file without any feed is refused, a broken one fails; both keep the old config,
    show in `/readyz`, and the next good edit is applied."""
    daemon = daemons(config_for(feeds, "wire")).start()
    wait_for(lambda: polled(daemon, 1), "first poll")

    daemon.config.write_text("")
    time.sleep(0.4)
    rewrite(daemon, config_for(feeds, "wire", "desk"))
    wait_for(lambda: named(daemon, "reloaded"), "reload of the full file")
    assert ["desk", "wire"] == feed_names(daemon)
    assert [] == named(daemon, "reload_refused") + named(daemon, "reload_failed")

    rewrite(daemon, {"daemon": {"grace": 5}})  # valid, but every feed is gone
    wait_for(lambda: named(daemon, "reload_refused"), "no feed refused")
    ready = daemon.json("/readyz")
    assert ["last_reload"] == ready["degraded"]
    assert ready["checks"]["last_reload"]["detail"].startswith("config reload refused: ")
    assert ["desk", "wire"] == feed_names(daemon)

    daemon.config.write_text("feeds: [{url: ")
    wait_for(lambda: named(daemon, "reload_failed"), "broken file fails")
    assert daemon.json("/readyz")["checks"]["last_reload"]["detail"].startswith(
        "config reload failed: "
    )

    rewrite(daemon, config_for(feeds, "desk"))
    wait_for(lambda: len(named(daemon, "reloaded")) == 2, "a later good edit")
    assert ["desk"] == feed_names(daemon)
    assert [] == daemon.json("/readyz")["degraded"]
    assert 1 == len(named(daemon, "reload_refused"))
    assert 1 == len(named(daemon, "reload_failed"))


def test_removing_a_notifier_with_queued_rows_needs_sighup_and_its_rows_wait(
    feeds: FeedServer, receiver: Receiver, daemons: Callable[[dict[str, Any]], Daemon]
) -> None:
    """A file edit that removes a notifier with queued deliveries is refused; SIGHUP applies
    it, and its rows wait (never dead-lettered) until it is configured again."""
    hook = {"name": "hook", "type": "webhook", "url": receiver.url, "max_attempts": 50}
    config = {**config_for(feeds, "wire"), "notifiers": [hook]}
    daemon = daemons(config).start()
    wait_for(lambda: polled(daemon, 1), "first poll")
    for _ in range(1000):
        receiver.reply(503)
    feeds.publish("wire", HOMS)
    wait_for(lambda: len(receiver.received()) >= 1, "a failed delivery")
    console = {"name": "screen", "type": "console"}
    without = {**config_for(feeds, "wire"), "notifiers": [console]}

    rewrite(daemon, without)
    wait_for(lambda: named(daemon, "reload_refused"), "refused")
    assert "'hook' (1 queued)" in named(daemon, "reload_refused")[0]["error"]
    daemon.signal(signal.SIGHUP)
    wait_for(lambda: named(daemon, "reloaded"), "applied by SIGHUP")
    time.sleep(2)
    with receiver.replies.mutex:
        receiver.replies.queue.clear()
    rows = outbox(daemon)
    assert [("hook", "failed")] == rows, rows

    rewrite(daemon, config)
    wait_for(lambda: len(named(daemon, "reloaded")) == 2, "notifier back")
    wait_for(lambda: outbox(daemon) == [("hook", "delivered")], "delivered", timeout=60)


def outbox(daemon: Daemon) -> list[tuple[str, str]]:
    with sqlite3.connect(daemon.config.parent / "data" / "wirewatch.db") as db:
        return list(db.execute("SELECT notifier, state FROM outbox ORDER BY notifier"))
