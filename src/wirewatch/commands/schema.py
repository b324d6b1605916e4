"""`wirewatch schema config|watchlist|payload`: the JSON Schemas of the files users write.

The same schemas are shipped in docs/ (a test keeps them equal), and the shipped YAML files
name them on their first line (`# yaml-language-server: $schema=...`), so editors with a YAML
language server validate and complete them. Durations are strings like `5m` or numbers.
"""

from __future__ import annotations

import argparse
import json
from importlib.resources import files
from typing import Any

KINDS = ("config", "watchlist", "payload")


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "schema", help="print the JSON Schema of the config, a watchlist or the webhook payload"
    )
    parser.add_argument("kind", choices=KINDS, help="which schema")
    parser.set_defaults(run=run)


def schema(kind: str) -> dict[str, Any]:
    if kind == "payload":
        text = files("wirewatch.notify").joinpath("webhook-payload.schema.json").read_text("utf-8")
        loaded: dict[str, Any] = json.loads(text)
        return loaded
    if kind == "watchlist":
        from wirewatch.match.watchlist import Watchlist

        found = Watchlist.model_json_schema()
        title = "wirewatch watchlist"
    else:
        from wirewatch.config.settings import Config

        found = Config.model_json_schema()
        found["properties"].pop("source", None)  # set by the loader, never written
        for part in (found, *found.get("$defs", {}).values()):
            if part.get("additionalProperties") is False:
                # `url_file: PATH` and the like stand for `url` (secrets from files)
                part["patternProperties"] = {"_file$": {"type": "string"}}
        title = "wirewatch config"
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **found, "title": title}


def render(kind: str) -> str:
    return json.dumps(schema(kind), indent=2, ensure_ascii=False) + "\n"


def run(args: argparse.Namespace) -> int:
    print(render(args.kind), end="")
    return 0
