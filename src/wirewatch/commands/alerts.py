"""`wirewatch alerts`: recent alerts with their entities, sources and delivery state."""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO, Any

from wirewatch.commands._common import local, opened_store, since_arg
from wirewatch.commands.check_config import add_config_argument, config_path


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("alerts", help="list recent alerts")
    parser.add_argument("--since", type=since_arg, default="24h", help="24h, 7d or an ISO time")
    parser.add_argument("--watchlist", help="only this watchlist")
    parser.add_argument("--entity", help="only alerts that name this entity id")
    parser.add_argument("--limit", type=int, default=100, help="at most N (default 100)")
    parser.add_argument("--json", action="store_true", help="JSON Lines instead of a table")
    parser.add_argument(
        "--geojson", action="store_true", help="a GeoJSON FeatureCollection of alerts at places"
    )
    add_config_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import asyncio  # here, not at the top: `classify` starts faster

    from wirewatch.loading import load_everything
    from wirewatch.observability.api import record_json

    loaded = load_everything(config_path(args))

    async def fetch() -> list[Any]:
        async with opened_store(loaded) as store:
            return await store.recent_alerts(
                args.since, watchlist=args.watchlist, entity=args.entity, limit=args.limit
            )

    records = asyncio.run(fetch())
    if args.geojson:
        from wirewatch.geojson import feature_collection, place_index

        found = feature_collection(map(record_json, records), place_index(loaded.matchers))
        sys.stdout.write(json.dumps(found, ensure_ascii=False) + "\n")
        return 0
    (_json if args.json else _table)(records, sys.stdout)
    return 0


def _json(records: list[Any], out: IO[str]) -> None:
    from wirewatch.observability.api import record_json

    for record in records:
        out.write(json.dumps(record_json(record), ensure_ascii=False) + "\n")


def _table(records: list[Any], out: IO[str]) -> None:
    from wirewatch.observability.logging import redact_log_url

    if not records:
        out.write("no alerts in this period\n")
        return
    for record in records:
        alert = record.alert
        states = ", ".join(f"{d.notifier}: {d.state}" for d in record.deliveries) or "no notifier"
        if alert.muted:
            states = f"muted ({alert.muted})"
        out.write(f"{local(alert.created_at)}  [{alert.watchlist}] {alert.item.title}\n")
        action = f"  action: {alert.action}" if alert.action else ""
        out.write(f"    story: {alert.story_id}{action}  entities: {', '.join(record.entities)}\n")
        out.write(f"    sources: {len(alert.sources)}  deliveries: {states}\n")
        for source in alert.sources[:5]:
            feed = redact_log_url(source.feed)
            out.write(f"      - {feed} {source.item_id}: {source.url or source.title}\n")
    out.write(f"\n{len(records)} alerts\n")
