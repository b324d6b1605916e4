"""`wirewatch run`: the daemon (scheduler, dispatcher, HTTP server) in one process."""

from __future__ import annotations

import argparse
from typing import Any

from wirewatch.commands.check_config import add_config_argument, config_path


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run", help="run the daemon: poll feeds, alert, deliver, serve /healthz and /metrics"
    )
    add_config_argument(parser)
    parser.add_argument(
        "--demo",
        action="store_true",
        help="also serve bundled sample feeds from 127.0.0.1 that publish new items over a "
        "few minutes, so alerts flow without internet",
    )
    parser.add_argument(
        "--demo-every",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="with --demo: seconds between sample items (default 10)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from wirewatch.stops import Stops

    stops = getattr(args, "stops", None) or Stops.catch()
    import asyncio  # here, not at the top: `classify` starts faster

    from wirewatch.loading import load_everything
    from wirewatch.observability.logging import configure_logging

    path = config_path(args)
    loaded = load_everything(path)
    daemon_config = loaded.config.daemon
    fmt = daemon_config.log_format
    configure_logging(json=None if fmt == "auto" else fmt == "json", level=daemon_config.log_level)
    return asyncio.run(_main(loaded, path, stops, demo=args.demo, every=args.demo_every))


async def _main(loaded: Any, path: str, stops: Any, *, demo: bool, every: float) -> int:
    import asyncio

    from wirewatch import app
    from wirewatch.config.settings import FeedConfig
    from wirewatch.daemon import Daemon
    from wirewatch.demo import DemoPublisher, FeedServer

    if not demo:
        return await Daemon(app.build(loaded), path, stops=stops).run()
    server = FeedServer().start()
    publisher = DemoPublisher(server)
    feeds = tuple(
        FeedConfig(url=url, name=f"demo {url.rsplit('/', 1)[-1]}", interval=max(1.0, every / 2))
        for url in publisher.urls
    )

    async def publish() -> None:
        await asyncio.sleep(every)  # first poll records the empty feeds as seen
        while publisher.step():
            await asyncio.sleep(every)

    task = asyncio.create_task(publish())
    try:
        # The guard refuses loopback feeds; the demo lets through its own server, nothing more.
        built = app.build(loaded, extra=app.Extra(feeds, (server.network,)))
        return await Daemon(built, path, stops=stops).run()
    finally:
        task.cancel()
        server.stop()
