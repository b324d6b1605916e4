"""`wirewatch db migrate`: apply the store's schema migrations."""

from __future__ import annotations

import argparse
from typing import Any

from wirewatch.commands.check_config import add_config_argument, config_path


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("db", help="database maintenance")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    migrate = actions.add_parser("migrate", help="apply pending schema migrations")
    add_config_argument(migrate)
    migrate.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import asyncio  # here, not at the top: `classify` starts faster

    from wirewatch.loading import load_everything
    from wirewatch.parts import open_store

    loaded = load_everything(config_path(args))

    async def migrate() -> int:
        store = open_store(loaded.config)
        await store.open()
        try:
            return await store.migrate()
        finally:
            await store.close()

    version = asyncio.run(migrate())
    print(f"schema at version {version} ({loaded.config.storage.url.split('://')[0]})")
    return 0
