"""`wirewatch poll --once`: poll every enabled feed once, classify, store, and report."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from wirewatch.commands.check_config import add_config_argument, config_path


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "poll", help="poll every enabled feed once and show what was found"
    )
    parser.add_argument("--once", action="store_true", required=True, help="one cycle, then exit")
    parser.add_argument("--json", action="store_true", help="one JSON line per feed instead")
    add_config_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import asyncio  # here, not at the top: `classify` starts faster

    from wirewatch.app import load_everything
    from wirewatch.commands._poll_report import print_json, print_table
    from wirewatch.observability.logging import configure_logging

    loaded = load_everything(config_path(args))
    configure_logging(level="warning")
    reports = asyncio.run(_poll_all(loaded))
    (print_json if args.json else print_table)(reports, sys.stdout)
    return 1 if any(r.failed for r in reports) else 0


async def _poll_all(loaded: Any) -> list[Any]:
    import asyncio

    from wirewatch.app import fetch_policy, open_store, story_index, utc_now
    from wirewatch.commands._poll_report import Progress
    from wirewatch.fetch import Fetcher
    from wirewatch.gate import IngestGate
    from wirewatch.pipeline import Pipeline

    feeds = [f for f in loaded.config.feeds if f.enabled]
    store = open_store(loaded.config)
    await store.open()
    try:
        await store.migrate()
        async with Fetcher(fetch_policy(loaded.config)) as fetcher:
            pipeline = Pipeline(
                loaded,
                store=store,
                fetcher=fetcher,
                stories=story_index(loaded.config),
                clock=utc_now,
                gate=(gate := IngestGate(f.key for f in feeds)),
            )
            await pipeline.warm()
            progress = Progress(len(feeds), sys.stderr)

            # Fetches run concurrently under the fetcher's global and per-host limits; the gate
            # makes feeds ingest one at a time in an order fixed by their items, so story
            # grouping does not depend on which server answered first.
            async def one(feed: Any) -> Any:
                try:
                    report = await pipeline.poll(feed)
                finally:
                    gate.finished(feed.key)
                progress.step()
                return report

            reports = await asyncio.gather(*(one(f) for f in feeds))
            progress.done()
            return list(reports)
    finally:
        await store.close()
