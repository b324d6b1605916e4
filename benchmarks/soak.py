"""Soak: `wirewatch run` with 1,000 local feeds and a 20,000-name watchlist for 30 minutes.

A feed server (its own process) holds 1,000 feeds of 20 items and publishes a new matching item
to a random feed every `--every` seconds; a webhook receiver records when each alert arrives.
Prints peak memory of the daemon and its parse workers, their CPU share, and the time from
publication to webhook receipt (p50, p95, max), to compare with the poll interval.
Run: .venv/bin/python benchmarks/soak.py [--minutes 30] [--interval 30] [--feeds 1000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "benchmarks"))

from classify import watchlist  # noqa: E402
from wirewatch.demo import FeedServer, SampleItem  # noqa: E402

FILLER = "officials said talks would resume as convoys reached the border".split()


def serve(feeds: int, every: float, names: list[str], control: Connection) -> None:
    rng = random.Random(3)
    server = FeedServer()
    for n in range(feeds):
        server.add_feed(
            f"f{n}",
            items=[
                SampleItem(f"f{n}-{i}", f"Routine bulletin {n}-{i}", " ".join(FILLER), "")
                for i in range(20)
            ],
        )
    server.start()
    control.send(server.base_url)
    count = 0
    while not control.poll(every):
        count += 1
        words = " ".join(rng.choice(names) for _ in range(3))
        title = f"{words} {' '.join(rng.sample(FILLER, 5))} {count}"
        item = SampleItem(f"p-{time.time():.3f}-{count}", title, f"Report {count}: {words}.", "")
        server.publish(f"f{rng.randrange(feeds)}", item)
    server.stop()


class Receiver:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                now = time.time()
                for item in json.loads(body).get("items", []):
                    if item["id"].startswith("p-"):
                        receiver.latencies.append(now - float(item["id"].split("-")[1]))
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"


def tree(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    kids = [int(p) for p in children.read_text().split()] if children.exists() else []
    return [pid, *(k for kid in kids for k in tree(kid))]


def sample(pid: int) -> tuple[float, float]:
    """(RSS MB summed over the process tree, CPU seconds of the tree)."""
    rss = cpu = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for p in tree(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text()
            rss += int(status.split("VmRSS:")[1].split()[0]) / 1024
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / tick
        except (FileNotFoundError, IndexError, ProcessLookupError):
            continue
    return rss, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--interval", type=float, default=30)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--every", type=float, default=2.0, help="seconds between new items")
    args = parser.parse_args()

    raw = watchlist(random.Random(7))
    names = [e["names"][0] for e in raw["entities"]]  # type: ignore[index]
    control, child_end = multiprocessing.Pipe()
    server = multiprocessing.get_context("fork").Process(
        target=serve, args=(args.feeds, args.every, names, child_end)
    )
    server.start()
    base = control.recv()
    receiver = Receiver()
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "w.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
        config = {
            "data_dir": tmp,
            "watchlists": [str(Path(tmp, "w.yaml"))],
            "feeds": [{"url": f"{base}/f{n}.xml", "name": f"f{n}"} for n in range(args.feeds)],
            "fetch": {
                "interval": args.interval,
                "per_host": 10,
                "concurrency": 20,
                "allow_networks": ["127.0.0.1"],  # the local feed server; the guard refuses it
            },
            "notifiers": [
                {"name": "hook", "type": "webhook", "url": receiver.url, "digest_threshold": 1000}
            ],
            "http": {"enabled": False},
            "daemon": {"log_level": "warning", "log_format": "json"},
        }
        Path(tmp, "c.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
        log = open(Path(tmp, "daemon.log"), "wb")  # noqa: SIM115
        daemon = subprocess.Popen(
            [sys.executable, "-m", "wirewatch", "run", "--config", str(Path(tmp, "c.yaml"))],
            stdout=log,
            stderr=log,
        )
        start, peak, cpu0 = time.time(), 0.0, 0.0
        end = start + args.minutes * 60
        while time.time() < end and daemon.poll() is None:
            rss, cpu0_now = sample(daemon.pid)
            peak = max(peak, rss)
            cpu0 = max(cpu0, cpu0_now)
            time.sleep(1)
        wall = time.time() - start
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(60)
        log.close()
        errors = Path(tmp, "daemon.log").read_text(errors="replace").count('"level": "error"')
    control.send("stop")
    server.join()
    lat = sorted(receiver.latencies)
    print(
        f"soak: {args.feeds} feeds every {args.interval:.0f} s, {len(names) * 4} names, "
        f"{wall / 60:.1f} min; daemon exit {code}, {errors} error lines"
    )
    print(
        f"peak RSS (daemon + parse workers): {peak:.0f} MB; CPU share {cpu0 / wall:.0%} "
        f"of one core ({cpu0:.0f} s CPU)"
    )
    if lat:
        p95 = lat[int(0.95 * (len(lat) - 1))]
        print(
            f"publication to webhook receipt over {len(lat)} alerts: p50 "
            f"{statistics.median(lat):.1f} s, p95 {p95:.1f} s, max {lat[-1]:.1f} s "
            f"(target p95 <= interval + 1 s = {args.interval + 1:.0f} s)"
        )


if __name__ == "__main__":
    main()
