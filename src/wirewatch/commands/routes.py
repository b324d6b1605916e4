"""`wirewatch routes show|test`: the routing tree, and where an alert would go and why.

    wirewatch routes show
    wirewatch routes test --entity homs [--watchlist syria --severity high --tag city ...]
    wirewatch routes test --item item.json      (JSON Lines too: every item that alerts)

Offline: reads the config and its watchlists, never the database (so silences, which live
there, are not applied; `wirewatch silence list` shows them).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from wirewatch.commands.check_config import add_config_argument, config_path
from wirewatch.errors import UserError
from wirewatch.severity import SCALE

if TYPE_CHECKING:
    from wirewatch.delivery.matchers import Labels
    from wirewatch.delivery.routing import Route, Routed
    from wirewatch.loading import Loaded


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "routes", help="show the routing tree, or test where an alert would go"
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = actions.add_parser("show", help="print the routing tree")
    add_config_argument(show)
    show.set_defaults(run=run_show)
    test = actions.add_parser(
        "test", help="print the notifiers an alert would reach, and the routes that led there"
    )
    test.add_argument("--watchlist", help="the alert's watchlist (default: the only one)")
    test.add_argument("--entity", action="append", default=[], help="an entity id (repeatable)")
    test.add_argument("--severity", choices=SCALE, help="default: as the watchlist says")
    test.add_argument("--tag", action="append", default=[], help="an extra tag (repeatable)")
    test.add_argument(
        "--kind",
        action="append",
        default=[],
        choices=("place", "actor"),
        help="default: the entities'",
    )
    test.add_argument("--feed", action="append", default=[], help="the feed's name or URL")
    test.add_argument("--action-kind", dest="action_kind", help="the story's action kind")
    test.add_argument("--item", metavar="FILE", help="classify this JSON (Lines) item instead")
    test.add_argument("--json", action="store_true", help="one JSON object per alert")
    add_config_argument(test)
    test.set_defaults(run=run_test)


def run_show(args: argparse.Namespace) -> int:
    from wirewatch.loading import load_everything

    loaded = load_everything(config_path(args))
    if loaded.config.route is None and loaded.config.routes:
        print("(read from the old `routes:` list: each route continues; unmatched alerts drop)")
    for line in tree_lines(loaded.router.root):
        print(line)
    return 0


def tree_lines(
    route: Route, prefix: str = "", last: bool = True, top: bool = True
) -> Iterator[str]:
    branch = "" if top else ("└─ " if last else "├─ ")
    matchers = ", ".join(map(str, route.matchers)) or "every alert"
    flag = "  [continue]" if route.continue_ else ""
    yield f"{prefix}{branch}{route.label}: {matchers} -> {route.receiver}{flag}"
    inner = prefix + ("" if top else ("   " if last else "│  "))
    for index, child in enumerate(route.children):
        yield from tree_lines(child, inner, index == len(route.children) - 1, top=False)


def run_test(args: argparse.Namespace) -> int:
    from wirewatch.loading import load_everything

    loaded = load_everything(config_path(args))
    cases = list(_item_cases(loaded, args) if args.item else [_given_case(loaded, args)])
    if not cases:
        print("no alert: the item matches no watchlist")
        return 0
    for labels in cases:
        routed = loaded.router.route(labels)
        (_json if args.json else _text)(labels, routed, sys.stdout)
    return 0


def _given_case(loaded: Loaded, args: argparse.Namespace) -> Labels:
    from wirewatch.delivery.matchers import Labels
    from wirewatch.severity import rank

    if not args.entity:
        raise UserError("routes test: give --entity ID (repeatable) or --item FILE")
    name = args.watchlist or _only_watchlist(loaded)
    if name not in loaded.matchers:
        raise UserError(f"routes test: no watchlist {name!r}; known: {', '.join(loaded.matchers)}")
    watchlist = loaded.matchers[name].watchlist
    by_id = {e.id: e for e in watchlist.entities}
    unknown = [e for e in args.entity if e not in by_id]
    if unknown:
        raise UserError(f"routes test: watchlist {name!r} has no entity {', '.join(unknown)}")
    entities = [by_id[e] for e in args.entity]
    severities = [e.severity for e in entities if e.severity]
    severity = args.severity or (max(severities, key=rank) if severities else watchlist.severity)
    tags = [*watchlist.tags, *(t for e in entities for t in e.tags), *args.tag]
    return Labels(
        watchlist=name,
        entities=tuple(args.entity),
        kinds=tuple(dict.fromkeys(args.kind or [e.kind for e in entities])),
        severity=severity,
        tags=tuple(dict.fromkeys(tags)),
        feed=tuple(args.feed),
        action=args.action_kind,
    )


def _only_watchlist(loaded: Loaded) -> str:
    if len(loaded.matchers) != 1:
        raise UserError(f"routes test: say --watchlist, one of {', '.join(loaded.matchers)}")
    return next(iter(loaded.matchers))


def _item_cases(loaded: Loaded, args: argparse.Namespace) -> Iterator[Labels]:
    from wirewatch.commands.classify import jsonl_items
    from wirewatch.delivery.routing import labels_of

    try:
        data = Path(args.item).read_bytes()
    except OSError as e:
        raise UserError(f"routes test: cannot read {args.item}: {e.strerror or e}") from None
    problems: list[str] = []
    items = list(jsonl_items(_lines(data), problems))
    if problems:
        raise UserError(f"routes test: {args.item}: {problems[0]}")
    for item in items:
        for name, matcher in loaded.matchers.items():
            if args.watchlist and name != args.watchlist:
                continue
            result = matcher.classify(item)
            if result.alert:
                yield labels_of(matcher.watchlist, result, feed=(*args.feed, item.feed))


def _lines(data: bytes) -> list[bytes]:
    """JSON Lines, or one JSON object written over several lines."""
    try:
        whole = json.loads(data)
    except ValueError:
        return data.splitlines()
    return [json.dumps(whole).encode()] if isinstance(whole, dict) else data.splitlines()


def _describe(labels: Labels) -> str:
    parts = [
        f"entities {', '.join(labels.entities)}",
        f"severity {labels.severity or 'normal'}",
    ]
    if labels.tags:
        parts.append(f"tags {', '.join(labels.tags)}")
    if labels.action:
        parts.append(f"action {labels.action}")
    return f"{labels.watchlist}: " + "; ".join(parts)


def _path(routes: Sequence[Route]) -> str:
    return " > ".join(r.label for r in routes)


def _text(labels: Labels, routed: Routed, out: IO[str]) -> None:
    out.write(f"alert {_describe(labels)}\n")
    for path in routed.taken:
        out.write(f"  {_path(path)} -> {path[-1].receiver}\n")
    out.write(f"  receivers: {', '.join(routed.notifiers) or 'none (dropped)'}\n")


def _json(labels: Labels, routed: Routed, out: IO[str]) -> None:
    body = {
        "watchlist": labels.watchlist,
        "entities": list(labels.entities),
        "severity": labels.severity,
        "tags": list(labels.tags),
        "receivers": list(routed.notifiers),
        "dropped": routed.muted is not None,
        "routes": [[r.path for r in path] for path in routed.taken],
    }
    out.write(json.dumps(body, ensure_ascii=False) + "\n")
