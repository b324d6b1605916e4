"""`hostile.py --daemon`: the hostile feeds through a running `wirewatch run`, as deployed.

Each feed gets a fresh data folder and its own daemon (default `parse_workers`, so feeds are
parsed in worker processes), with one `format: json` webhook notifier pointing at a receiver
in this process on 127.0.0.1. When the feed has been polled and the outbox is empty, the
figures are read: VmHWM (peak RSS) of the daemon and of every process under it from /proc, the
largest body received, and 20 timed `GET /api/alerts?limit=50`. Then the daemon gets SIGTERM.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from hostile import SYRIA, MiB, free_port, stop

WAIT = 300.0  # seconds for a feed to be polled and delivered


class Receiver:
    """Answers 204 to every POST and remembers each body's size."""

    def __init__(self) -> None:
        self.sizes: list[int] = []
        sizes = self.sizes

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                sizes.append(len(self.rfile.read(int(self.headers.get("content-length", "0")))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def daemon_config(folder: Path, feed: Path, port: int, hook: str) -> Path:
    text = {
        "data_dir": str(folder / "data"),
        "watchlists": [str(SYRIA)],
        "feeds": [{"url": feed.as_uri(), "backfill": True}],
        "notifiers": [{"name": "hook", "type": "webhook", "url": hook}],
        "http": {"port": port},
        "daemon": {"watch_files": False},
    }
    path = folder / "daemon.yaml"
    path.write_text(json.dumps(text), encoding="utf-8")
    return path


def descendants(pid: int) -> list[int]:
    """Every process under `pid` (parse workers, and whatever starts them)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def settled(db: Path) -> tuple[int, int] | None:
    """(alerts, deliveries) once alerts exist and no delivery waits; None before."""
    if not db.exists():
        return None
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            alerts = conn.execute("SELECT count(*) FROM alerts").fetchone()[0]
            rows = conn.execute("SELECT count(*), sum(state != 'delivered') FROM outbox")
            deliveries, waiting = rows.fetchone()
    except sqlite3.Error:
        return None
    return (alerts, deliveries) if alerts and deliveries and not waiting else None


def wait_for(check: Callable[[], object], seconds: float) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (found := check()) is not None:
            return found
        time.sleep(0.5)
    return None


def api_times(url: str, runs: int = 20) -> list[float]:
    times = []
    with httpx.Client(timeout=120) as client:
        for _ in range(runs):
            t0 = time.perf_counter()
            client.get(f"{url}/api/alerts", params={"limit": 50, "since": "3650d"})
            times.append(time.perf_counter() - t0)
    return times


def measure_one(name: str, body: bytes, folder: Path, environ: dict[str, str]) -> None:
    feed = folder / "feed.xml"
    feed.write_bytes(body)
    receiver, port = Receiver(), free_port()
    path = daemon_config(folder, feed, port, receiver.url)
    command = [sys.executable, "-m", "wirewatch", "run", "--config", str(path)]
    daemon = subprocess.Popen(command, env=environ, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        started = time.perf_counter()
        done = wait_for(lambda: settled(folder / "data" / "wirewatch.db"), WAIT)
        wall = time.perf_counter() - started
        workers = [(pid, peak_mb(pid)) for pid in descendants(daemon.pid)]
        main = peak_mb(daemon.pid)
        times = api_times(f"http://127.0.0.1:{port}") if done else []
    finally:
        stop(daemon)
        receiver.close()
    report(name, len(body), done, wall, main, workers, receiver.sizes, times)


def report(name: str, size: int, done: object, wall: float, main: float,
           workers: Sequence[tuple[int, float]], sizes: Sequence[int], times: Sequence[float]
           ) -> None:  # fmt: skip
    if not isinstance(done, tuple):
        print(f"{name}: not polled and delivered within {WAIT:.0f} s", flush=True)
        return
    alerts, deliveries = done
    others = ", ".join(f"{mb:,.0f}" for _, mb in workers) or "none"
    print(
        f"{name} (daemon): feed {size / MiB:.1f} MiB; {alerts:,} alerts, {deliveries:,} "
        f"delivered in {wall:.1f} s; peak RSS daemon {main:,.0f} MB, processes under it "
        f"{others} MB; largest webhook body {max(sizes, default=0) / 1024:,.1f} KiB of "
        f"{len(sizes)}; GET /api/alerts?limit=50: median "
        f"{statistics.median(times) * 1000:,.1f} ms, slowest {max(times) * 1000:,.1f} ms "
        f"of {len(times)}",
        flush=True,
    )


def measure_daemons(feeds: Sequence[tuple[str, Callable[[], bytes]]], environ: dict[str, str]
                    ) -> None:  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in feeds:
            folder = Path(tmp, name)
            folder.mkdir()
            measure_one(name, make(), folder, environ)
