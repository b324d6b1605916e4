"""Poll figures: 1,000 feeds of 50 items each from a local server, three full cycles.

Cycle 1 is every feed's first poll. Cycle 2 changes nothing: half the feeds answer 304, the
other half ignore conditional requests and send the same 200 body again (as many servers do).
Cycle 3: the feeds that ignore conditional requests each gain one new item. Prints each cycle's
wall time, CPU time of this process (parsing runs in worker processes) and peak memory.
Run: .venv/bin/python benchmarks/poll.py [--feeds 1000] [--items 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from wirewatch.app import (  # noqa: E402
    fetch_policy,
    open_store,
    parse_executor,
)
from wirewatch.demo import FeedServer, SampleItem  # noqa: E402
from wirewatch.ingest.fetch import Fetcher  # noqa: E402
from wirewatch.loading import load_everything  # noqa: E402
from wirewatch.pipeline import Pipeline  # noqa: E402
from wirewatch.stories.grouping import story_index  # noqa: E402

WORDS = (
    "officials said the talks would resume next week as aid convoys reached the border and "
    "markets reopened after the holiday while the ministry published new figures on trade"
).split()
PLACES = ["Homs", "Hama", "Aleppo", "Damascus", "Paris", "Lagos", "Lima", "Oslo"]


def item(feed: int, index: int) -> SampleItem:
    place = PLACES[(feed + index) % len(PLACES)]
    words = " ".join(WORDS[(index + k) % len(WORDS)] for k in range(40))
    return SampleItem(
        f"f{feed}-i{index}",
        f"Report {feed}-{index} from {place}: {' '.join(WORDS[index % 7 : index % 7 + 6])}",
        f"{words} in {place}.",
        f"https://news.example.org/{feed}/{index}",
        datetime.now(UTC),
    )


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def cycle(pipeline: Pipeline, feeds: list) -> tuple[float, float, int]:  # type: ignore[type-arg]
    wall, cpu = time.perf_counter(), time.process_time()
    reports = await asyncio.gather(*(pipeline.poll(f) for f in feeds))
    failed = sum(r.failed for r in reports)
    return time.perf_counter() - wall, time.process_time() - cpu, failed


def serve(count: int, per_feed: int, control: Connection) -> None:
    """The feed server, in its own process so that it does not share wirewatch's core."""
    server = FeedServer()
    for n in range(count):
        items = [item(n, i) for i in range(per_feed)]
        server.add_feed(f"feed{n}", items=items, conditional=n % 2 == 1)
    server.start()
    control.send(server.base_url)
    while (command := control.recv()) != "stop":
        for n in range(0, count, 2):  # "publish": half the feeds gain one item
            server.publish(f"feed{n}", item(n, per_feed))
        control.send(command)
    server.stop()


async def main(count: int, per_feed: int) -> None:
    control, child_end = multiprocessing.Pipe()
    child = multiprocessing.get_context("fork").Process(
        target=serve, args=(count, per_feed, child_end)
    )
    child.start()
    base_url = control.recv()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp, "wirewatch.yaml")
        feeds = [{"url": f"{base_url}/feed{n}.xml", "name": f"feed{n}"} for n in range(count)]
        config.write_text(
            json.dumps(
                {
                    "data_dir": tmp,
                    "watchlists": [str(REPO / "config/watchlists/syria.yaml")],
                    "feeds": feeds,
                    "fetch": {"concurrency": 10, "per_host": 10, "allow_networks": ["127.0.0.1"]},
                }
            )
        )
        loaded = load_everything(config)
        store = open_store(loaded.config)
        await store.open()
        await store.migrate()
        executor = parse_executor(loaded.config)
        print(f"parsing in {executor._max_workers if executor else 0} worker processes")  # type: ignore[attr-defined]
        async with Fetcher(fetch_policy(loaded.config)) as fetcher:
            pipeline = Pipeline(
                loaded,
                store=store,
                fetcher=fetcher,
                stories=story_index(loaded),
                clock=lambda: datetime.now(UTC),
                parse_executor=executor,
            )
            feed_configs = list(loaded.config.feeds)
            wall, cpu, failed = await cycle(pipeline, feed_configs)
            print(
                f"cycle 1: {count} feeds x {per_feed} items: {wall:.1f} s wall, {cpu:.1f} s CPU, "
                f"{failed} failed, peak RSS {maxrss_mb():.0f} MB"
            )
            wall, cpu, failed = await cycle(pipeline, feed_configs)
            print(
                f"cycle 2 (half 304, half the same 200 body): {wall:.1f} s wall, {cpu:.1f} s CPU, "
                f"{failed} failed, peak RSS {maxrss_mb():.0f} MB"
            )
            control.send("publish")
            control.recv()
            wall, cpu, failed = await cycle(pipeline, feed_configs)
            print(
                f"cycle 3 (half 304, half one new item): {wall:.1f} s wall, {cpu:.1f} s CPU, "
                f"{failed} failed, peak RSS {maxrss_mb():.0f} MB"
            )
        await store.close()
    control.send("stop")
    child.join()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.feeds, args.items))
