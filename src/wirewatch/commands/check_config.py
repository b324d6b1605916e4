"""`wirewatch check-config`: validate the config and every watchlist offline."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from wirewatch.errors import ConfigError

DEFAULT_CONFIG = "config/wirewatch.yaml"


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        default=None,
        metavar="FILE",
        help=f"config file (default: $WIREWATCH_CONFIG or {DEFAULT_CONFIG})",
    )


def config_path(args: argparse.Namespace) -> str:
    import os

    return str(args.config or os.environ.get("WIREWATCH_CONFIG") or DEFAULT_CONFIG)


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check-config", help="validate the config file and its watchlists offline"
    )
    add_config_argument(parser)
    parser.set_defaults(run=run)


def _count(route: Any) -> int:
    return 1 + sum(_count(child) for child in route.children)


def run(args: argparse.Namespace) -> int:
    from wirewatch.loading import load_everything

    path = config_path(args)
    try:
        loaded = load_everything(path)
    except ConfigError as e:
        print(f"{e.source}: {len(e.problems)} problem(s)", file=sys.stderr)
        for problem in e.located:
            print(f"  {problem}", file=sys.stderr)
        return 2
    config = loaded.config
    entities = sum(len(m.watchlist.entities) for m in loaded.matchers.values())
    enabled = sum(f.enabled for f in config.feeds)
    print(f"{config.source}: OK")
    print(f"  feeds: {len(config.feeds)} ({enabled} enabled)")
    print(f"  watchlists: {', '.join(loaded.matchers)} ({entities} entities)")
    print(f"  notifiers: {', '.join(n.name for n in config.notifiers) or 'none (console)'}")
    print(f"  storage: {'postgresql' if config.storage.is_postgres else 'sqlite'}")
    for line in _gazetteer_lines(loaded):
        print(line)
    root = loaded.router.root
    print(f"  routing: {_count(root) - 1} route(s) below the root; default: {root.receiver}")
    if config.route is None and config.routes:
        print(
            "  note: routes: is the old list form; alerts that no route matches are dropped"
            " (counted, shown in `alerts`); `wirewatch routes show` prints the tree it means"
        )
    return 0


def _gazetteer_lines(loaded: Any) -> list[str]:
    """One line per gazetteer-backed place: how many names its entity expanded to."""
    lines = []
    for matcher in loaded.matchers.values():
        for e in matcher.watchlist.entities:
            if e.geonames or e.iso3166:
                ref = f"geonames {e.geonames}" if e.geonames else f"iso3166 {e.iso3166}"
                what = ", with the towns within" if e.include else ""
                lines.append(f"  gazetteer: {matcher.watchlist.name}/{e.id} ({ref}{what}): "
                             f"{len(e.names)} names")  # fmt: skip
    return lines
