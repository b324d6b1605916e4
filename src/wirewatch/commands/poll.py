"""`wirewatch poll --once`: poll every enabled feed once, classify, store, and report.

Each feed goes through the daemon's own steps (`Pipeline.poll`: lease, due, fetch, parse,
novelty, classify, story, ingest) on an App built as the daemon's is, except that every lease
is taken first and the feed states are then read in one go (`Pipeline.claim`), a feed backing
off is polled anyway, a cycle of few feeds parses in a thread (many: in the daemon's worker
processes), and the open stories are indexed only once a feed has new items that need one (a
cycle where nothing changed never reads them). A feed whose
lease another instance holds (a running daemon polled it within its interval) is shown as
`leased` and left to it; the leases this run took are given back at the end.

The deliveries it queues are sent by the daemon; `--deliver` sends them now and waits for them
(at most `--deliver-timeout` seconds). Either way the last line on stderr says what is left
queued, so a cron job that never runs the daemon is told.
"""

from __future__ import annotations

import argparse
import gc
import sys
from typing import TYPE_CHECKING, Any

from wirewatch.commands.check_config import add_config_argument, config_path

if TYPE_CHECKING:
    from wirewatch.commands._deliver_now import DeliverySummary


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "poll", help="poll every enabled feed once and show what was found"
    )
    parser.add_argument("--once", action="store_true", required=True, help="one cycle, then exit")
    parser.add_argument("--json", action="store_true", help="one JSON line per feed instead")
    parser.add_argument(
        "--deliver",
        action="store_true",
        help="send the deliveries this poll queued and wait for them (else the daemon does)",
    )
    parser.add_argument(
        "--deliver-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="stop waiting for deliveries after this long (default 60); the rest stay queued",
    )
    add_config_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # The modules, config and watchlists loaded here live to the end: the cyclic collector
    # would only walk them again and again during the cycle (about 8 % of an all-304 one).
    gc.disable()
    try:
        import asyncio  # here, not at the top: `classify` starts faster

        from wirewatch.commands._poll_report import print_json, print_table
        from wirewatch.loading import load_everything
        from wirewatch.observability.logging import configure_logging

        loaded = load_everything(config_path(args))
        configure_logging(level="warning")
        gc.freeze()
    finally:
        gc.enable()
    reports, delivery = asyncio.run(_poll_all(loaded, args.deliver, args.deliver_timeout))
    (print_json if args.json else print_table)(reports, sys.stdout)
    sys.stderr.write(delivery.line + "\n")
    failed = any(r.failed for r in reports) or (delivery.left > 0 and args.deliver)
    return 1 if failed else 0


PROCESSES_FROM = 20
"""A cycle of this many feeds or more parses in worker processes (`fetch.parse_workers`),
a smaller one in a thread: a worker's start (about 0.3 s) is repaid only over many bodies."""


async def _poll_all(
    loaded: Any, deliver: bool, timeout: float
) -> tuple[list[Any], DeliverySummary]:
    from wirewatch import parts

    feeds = [f for f in loaded.config.feeds if f.enabled]
    store = parts.open_store(loaded.config)
    pipeline = cycle_pipeline(loaded, store, feeds)
    try:
        await store.open()
        await store.migrate()  # no `pipeline.warm()`: the first feed with news indexes stories
        reports = await _poll(pipeline, feeds)
        return reports, await _deliveries(loaded, store, reports, deliver, timeout)
    finally:
        await pipeline.fetcher.aclose()
        if pipeline.parse_executor is not None:
            pipeline.parse_executor.shutdown(wait=True, cancel_futures=True)
        await store.close()


def cycle_pipeline(loaded: Any, store: Any, feeds: list[Any]) -> Any:
    """The pipeline of one cycle of `feeds`: their ingests in the gate's order, parsing in
    worker processes from `PROCESSES_FROM` feeds on (as `fetch.parse_workers` says), in a
    thread below. The caller shuts its `parse_executor` down."""
    from wirewatch import app
    from wirewatch.ingest.gate import IngestGate

    return app.build_pipeline(
        loaded,
        store=store,
        owner=app.instance_name(),
        processes=len(feeds) >= PROCESSES_FROM,
        gate=IngestGate(f.key for f in feeds),
        one_cycle=True,
    )


async def _poll(pipeline: Any, feeds: list[Any]) -> list[Any]:
    """Poll every feed once, concurrently, then give back the leases taken."""
    import asyncio

    from wirewatch.commands._poll_report import Progress

    gate = pipeline.gate
    progress = Progress(len(feeds), sys.stderr)

    # Fetches run concurrently under the fetcher's global and per-host limits; the gate makes
    # feeds ingest one at a time in an order fixed by their items, so story grouping does not
    # depend on which server answered first.
    async def one(feed: Any, lease: Any) -> Any:
        try:
            report = await pipeline.poll(feed, force=True, lease=lease)
        finally:
            gate.finished(feed.key)
        progress.step()
        return report

    try:
        leases = await pipeline.claim(feeds)  # and every feed's state, in one store read
        reports = await asyncio.gather(*(one(f, leases[f.key]) for f in feeds))
    finally:
        await pipeline.release(f.key for f in feeds)
    progress.done()
    return list(reports)


async def _deliveries(
    loaded: Any, store: Any, reports: list[Any], deliver: bool, timeout: float
) -> DeliverySummary:
    from wirewatch import app, parts
    from wirewatch.commands._deliver_now import DeliverySummary, open_rows
    from wirewatch.commands._deliver_now import deliver as deliver_now

    created = {a.id for r in reports for a in r.alerts}
    if not deliver:
        queued = len(await open_rows(store, ()))
        return DeliverySummary(
            f"{queued} deliveries queued for the daemon (`wirewatch run`); "
            "`poll --once --deliver` sends them now",
            queued,
        )
    if not created:
        return DeliverySummary("no new alerts to deliver", 0)
    async with parts.webhook_client() as client:
        owner = app.instance_name()
        dispatcher = app.build_dispatcher(loaded, store=store, client=client, owner=owner)
        return await deliver_now(store, dispatcher, created, timeout)
