"""`wirewatch classify`: run a watchlist over items and show what it finds.

Input is JSON Lines of items or a feed document (RSS, Atom, RDF, JSON Feed), recognised by its
content. Output is JSON Lines, one result per item in input order, or `--explain` for people.
An http(s) input is fetched like a feed, with the same timeouts, size cap, redirect rules and
network guard; `--config` supplies their settings (`fetch.*`, e.g. `fetch.allow_networks`).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from collections.abc import Iterator
from typing import IO, Any

from wirewatch import fastjson as _json
from wirewatch.commands.inputs import InputKind, sniff
from wirewatch.config.limits import clip_item
from wirewatch.errors import InputError
from wirewatch.ingest.plaintext import to_text
from wirewatch.match.classifier import Matcher
from wirewatch.model import Classification, FeedItem


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "classify",
        help="match a watchlist against items (JSON Lines or a feed) and print the results",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--watchlist", required=True, metavar="FILE", help="watchlist YAML file")
    parser.add_argument(
        "--input", default="-", metavar="FILE|URL|-", help="items or feed (default: stdin)"
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="take the fetch settings for a URL input (timeouts, caps, fetch.allow_networks) "
        "from this config file; without it the defaults apply",
    )
    parser.add_argument(
        "--explain", action="store_true", help="human view: highlighted matches and counts"
    )
    parser.add_argument(
        "--only-alerts", action="store_true", help="print only the items that raise an alert"
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="compile the watchlist afresh instead of using ~/.cache/wirewatch",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from wirewatch.commands._cache import load_matcher

    # Compiling makes hundreds of thousands of objects that live to the end and hold no cycles:
    # the cyclic collector would only walk them again and again (0.17 s of a 1.5 s run).
    gc.disable()
    try:
        matcher = load_matcher(args.watchlist, use_cache=not args.no_cache)
        gc.freeze()  # later collections look at the items' objects only
    finally:
        gc.enable()
    data = _read_input(args.input, args.config)
    kind = sniff(data)
    if kind == "jsonl":
        for warning in unknown_fields(data):
            print(f"wirewatch: warning: {warning}", file=sys.stderr)
    problems: list[str] = []
    items = _items(data, kind, args.input, problems)
    out = sys.stdout
    if args.explain:
        from wirewatch.commands._explain import Explainer

        explainer = Explainer(out, color=out.isatty())
        for item in items:
            result = matcher.classify(item)
            explainer.show(item, result, matcher.near_misses(item), matcher.rule_problem(result))
        explainer.summary()
    elif kind == "jsonl" and _worth_splitting(data):
        from wirewatch.commands._parallel import classify_jsonl_in_two

        problems = classify_jsonl_in_two(matcher, data, out, only_alerts=args.only_alerts)
    else:
        _write_jsonl(out, matcher, items, only_alerts=args.only_alerts)
    for problem in problems:
        print(f"wirewatch: {problem}", file=sys.stderr)
    if problems:
        print(
            f"wirewatch: {len(problems)} input problem(s); those items were skipped",
            file=sys.stderr,
        )
    return 1 if problems else 0


FIELDS_READ = ("id", "title", "summary", "content", "url", "link", "feed")
"""The JSON Lines fields classify reads (docs: README, "Trying a watchlist")."""
_LIKELY = {"description": "summary", "body": "content", "text": "content", "headline": "title"}
_SAMPLE_LINES = 200


def unknown_fields(data: bytes) -> list[str]:
    """One warning per field that the first lines use and classify does not read."""
    seen: dict[str, None] = {}
    for raw in data.splitlines()[:_SAMPLE_LINES]:
        try:
            obj = _json.loads(raw)
        except ValueError:
            continue
        if type(obj) is dict:
            seen.update(dict.fromkeys(k for k in obj if k not in FIELDS_READ))
    read = ", ".join(FIELDS_READ)
    return [
        f"input field {name!r} is not read"
        + (f" (did you mean {_LIKELY[name]!r}?)" if name in _LIKELY else "")
        + f"; classify reads {read}"
        for name in seen
    ]


_SPLIT_AT = 4000  # items: below this a second process costs more than it saves


def _worth_splitting(data: bytes) -> bool:
    import os

    return (os.cpu_count() or 1) > 1 and data.count(b"\n") >= _SPLIT_AT and hasattr(os, "fork")


def render(matcher: Matcher, items: Iterator[FeedItem], *, only_alerts: bool) -> bytes:
    """Classify `items` and return their JSON Lines (UTF-8)."""
    lines: list[bytes] = []
    for item in items:
        result = matcher.classify(item)
        if not only_alerts or result.alert:
            lines.append(result_line(result))
    return b"".join(lines)


def write_bytes(out: IO[str], data: bytes) -> None:
    """Write UTF-8 `data` to a text stream, through its byte buffer when it has one."""
    buffer = getattr(out, "buffer", None)
    if buffer is None:
        out.write(data.decode("utf-8"))
        return
    out.flush()
    buffer.write(data)


def _write_jsonl(
    out: IO[str], matcher: Matcher, items: Iterator[FeedItem], *, only_alerts: bool
) -> None:
    write_bytes(out, render(matcher, items, only_alerts=only_alerts))
    out.flush()


def result_line(result: Classification) -> bytes:
    """One output line (the contract): id, alert, matches with offsets into the field's text."""
    line = {
        "id": result.item_id,
        "alert": result.alert,
        "matches": [
            {
                "entity": m.entity,
                "kind": m.kind,
                "name": m.name,
                "field": m.field,
                "start": m.start,
                "end": m.end,
                "text": m.text,
            }
            for m in result.matches
        ],
    }
    if result.omitted:  # matches beyond the cap per entity, counted
        line["omitted"] = dict(result.omitted)
    return _json.dumps_line(line)


def _read_input(source: str, config: str | None) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    if source.startswith(("http://", "https://")):
        from wirewatch.commands._download import download

        return download(source, config)
    try:
        with open(source, "rb") as handle:
            return handle.read()
    except OSError as e:
        raise InputError(f"cannot read input {source}: {e.strerror or e}") from None


def _items(data: bytes, kind: InputKind, source: str, problems: list[str]) -> Iterator[FeedItem]:
    if kind == "jsonl":
        return jsonl_items(data.splitlines(), problems)
    if kind in ("xml", "json"):
        return _feed_items(data, source)
    if not data.strip():
        return iter(())
    raise InputError(f"{source}: not JSON Lines and not a feed (expected '{{' or '<' at the start)")


def _feed_items(data: bytes, source: str) -> Iterator[FeedItem]:
    from wirewatch.ingest.parse import parse_feed

    url = source if "://" in source else ""  # keep relative guids as written
    # A feed that cannot be parsed raises ParseError: one line on stderr, exit code 1.
    return iter(parse_feed(data, feed_url=url, feed_name=source).items)


def jsonl_items(lines: list[bytes], problems: list[str], first: int = 1) -> Iterator[FeedItem]:
    """Items from JSON Lines; a bad line is reported in `problems` by its number and skipped."""
    for number, raw in enumerate(lines, start=first):
        if not raw.strip():
            continue
        try:
            yield _item(_json.loads(raw))
        except (ValueError, TypeError) as e:
            problems.append(f"input line {number}: {_reason(e)}")


def _item(obj: Any) -> FeedItem:
    if type(obj) is not dict:
        raise TypeError("expected a JSON object")
    item_id = obj.get("id")
    if (type(item_id) is not str and type(item_id) is not int) or item_id == "":
        raise TypeError('missing "id" (a non-empty string or number)')
    link = obj.get("link") or obj.get("url") or ""
    item = FeedItem(
        id=str(item_id),
        feed=str(obj.get("feed") or ""),
        title=_text(obj, "title"),
        summary=_text(obj, "summary"),
        content=_text(obj, "content"),
        url=str(link),
    )
    return clip_item(item)


def _text(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not value:
        return ""
    if type(value) is not str:
        raise TypeError(f'"{key}" must be a string')
    return to_text(value)


def _reason(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"not valid JSON ({error.msg} at column {error.colno})"
    return str(error)
