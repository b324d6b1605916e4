"""Hostile-feed figures (issue 12): what one feed can make wirewatch hold, store and send.

Three feeds, read through `file://` by `wirewatch poll --once` (parsing in-process,
`parse_workers: 0`, so one process holds everything), each into a fresh SQLite store:

- "homs": one item whose description is 10 MB of "Homs Homs ...";
- "tiny": a 10 MiB feed of about 184,000 tiny items, each mentioning Homs;
- "rows": 60 items with 150 KB descriptions full of distinct words and Homs (so 60 stories).

Prints, per feed: peak RSS of the poll process, its wall time, alerts stored, the largest
stored alert row, and the largest JSON webhook body built from the stored alerts; then, with
the "rows" store (and the "homs" one) served by `wirewatch run`, the time of
`GET /api/alerts?limit=50` (median and slowest of 20).

`--daemon` measures the daemon itself instead: `wirewatch run` with its default parse workers
polls each feed into a fresh store and POSTs every alert (`format: json`) to a receiver in
this process on 127.0.0.1; once the outbox is empty, it prints the peak RSS (VmHWM) of the
daemon and of each process under it, the largest body the receiver got, and the time of
`GET /api/alerts?limit=50` against that daemon.

Run: .venv/bin/python benchmarks/hostile.py [--daemon] [--src OTHER/src]   (--src: other code)
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SYRIA = REPO / "config" / "watchlists" / "syria.yaml"
MiB = 1024 * 1024


def rss(items: list[str]) -> bytes:
    head = '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>t</title>'
    return (head + "".join(items) + "</channel></rss>\n").encode()


def homs_feed() -> bytes:
    description = "Homs " * 2_000_000  # 10,000,000 bytes
    return rss(
        [f"<item><guid>h1</guid><title>Homs</title><description>{description}</description></item>"]
    )


def tiny_feed() -> bytes:
    items, size, n = [], 0, 0
    while size < 10 * MiB - 200:
        item = f"<item><guid>tiny-{n:06d}</guid><title>Homs</title></item>"
        items.append(item)
        size += len(item)
        n += 1
    return rss(items)


def rows_feed(count: int = 60, chars: int = 150_000) -> bytes:
    items = []
    for i in range(count):
        words, size, k = [], 0, 0
        while size < chars:
            word = f"Homs r{i}w{k}"
            words.append(word)
            size += len(word) + 1
            k += 1
        day = 1 + i % 28
        items.append(
            f"<item><guid>r{i}</guid><title>Report {i} from Homs</title>"
            f"<pubDate>Sun, {day:02d} Dec 2024 06:00:00 GMT</pubDate>"
            f"<description>{' '.join(words)}</description></item>"
        )
    return rss(items)


FEEDS = (("homs", homs_feed), ("tiny", tiny_feed), ("rows", rows_feed))


def config(folder: Path, feed: Path | None, port: int = 0) -> Path:
    feeds = [{"url": feed.as_uri(), "backfill": True}] if feed else []
    text = {
        "data_dir": str(folder / "data"),
        "watchlists": [str(SYRIA)],
        "feeds": feeds,
        "fetch": {"parse_workers": 0},
        "http": {"port": port},
        "daemon": {"watch_files": False},
    }
    path = folder / ("run.yaml" if port else "poll.yaml")
    path.write_text(json.dumps(text), encoding="utf-8")  # JSON is YAML
    return path


def env(src: str | None) -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=src) if src else dict(os.environ)


def peak_of(command: list[str], environ: dict[str, str]) -> tuple[float, float, int]:
    """Run `command` under a small wrapper; (peak RSS in MB, wall seconds, exit code)."""
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
        "wall = time.perf_counter() - t\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, wall, code)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", wrapper, *command], env=environ, capture_output=True, text=True
    )
    peak, wall, code = out.stdout.split()
    return float(peak), float(wall), int(code)


def stored(db: Path) -> tuple[int, int]:
    with sqlite3.connect(db) as conn:
        count, biggest = conn.execute("SELECT count(*), max(length(body)) FROM alerts").fetchone()
    return count, biggest or 0


PAYLOAD = """
import sqlite3, sys
from wirewatch.notify.base import Message
from wirewatch.notify.payload import build
from wirewatch.notify.webhook import encode
from wirewatch.storage.codec import alert_from_json
biggest = 0
with sqlite3.connect(sys.argv[1]) as conn:
    for (body,) in conn.execute("SELECT body FROM alerts"):
        alert = alert_from_json(body)
        message = Message(delivery_id="msg_x", event=alert.event, alerts=(alert,))
        biggest = max(biggest, len(encode(build(message))))
print(biggest)
"""


def largest_payload(db: Path, environ: dict[str, str]) -> int:
    out = subprocess.run(
        [sys.executable, "-c", PAYLOAD, str(db)], env=environ, capture_output=True, text=True
    )
    return int(out.stdout.strip() or 0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def api_times(folder: Path, environ: dict[str, str], runs: int = 20) -> list[float]:
    import httpx

    port = free_port()
    path = config(folder, None, port)
    command = [sys.executable, "-m", "wirewatch", "run", "--config", str(path)]
    daemon = subprocess.Popen(
        command, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                httpx.get(f"{url}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        times = []
        with httpx.Client(timeout=120) as client:
            for _ in range(runs):
                t0 = time.perf_counter()
                response = client.get(f"{url}/api/alerts", params={"limit": 50, "since": "3650d"})
                times.append(time.perf_counter() - t0)
                response.raise_for_status()
        return times
    finally:
        stop(daemon)


def stop(daemon: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and SIGKILL if it has not exited within 60 s: no daemon is left behind."""
    daemon.send_signal(signal.SIGTERM)
    try:
        daemon.wait(timeout=60)
    except subprocess.TimeoutExpired:
        daemon.kill()
        daemon.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--src", help="run another source tree (PYTHONPATH) for a comparison")
    parser.add_argument("--daemon", action="store_true", help="measure `wirewatch run`")
    args = parser.parse_args()
    environ = env(args.src)
    if args.daemon:
        from hostile_daemon import measure_daemons

        measure_daemons(FEEDS, environ)
        return
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in FEEDS:
            folder = Path(tmp, name)
            folder.mkdir()
            feed = folder / "feed.xml"
            feed.write_bytes(make())
            command = [sys.executable, "-m", "wirewatch", "poll", "--once", "--config"]
            peak, wall, code = peak_of([*command, str(config(folder, feed))], environ)
            db = folder / "data" / "wirewatch.db"
            count, row = stored(db) if db.exists() else (0, 0)
            payload = largest_payload(db, environ) if count else 0
            print(
                f"{name}: feed {feed.stat().st_size / MiB:.1f} MiB; poll --once peak RSS "
                f"{peak:,.0f} MB, {wall:.1f} s, exit {code}; {count:,} alerts stored, largest "
                f"row {row / 1024:,.0f} KiB, largest JSON payload {payload / 1024:,.0f} KiB",
                flush=True,
            )
            if name in ("homs", "rows") and count:
                times = api_times(folder, environ)
                print(
                    f"{name}: GET /api/alerts?limit=50 ({min(count, 50)} rows): median "
                    f"{statistics.median(times) * 1000:,.1f} ms, slowest "
                    f"{max(times) * 1000:,.1f} ms of {len(times)}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
