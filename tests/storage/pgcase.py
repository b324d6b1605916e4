"""A fresh database per test on the throwaway PostgreSQL of `./dev test` (`.ci/run`).

`WIREWATCH_TEST_PG_URL` names the server's admin database; tests that need PostgreSQL are
marked `postgres` and skip when it is unset.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

PG_URL = os.environ.get("WIREWATCH_TEST_PG_URL", "")
SKIP_REASON = "WIREWATCH_TEST_PG_URL is not set (./dev test starts a throwaway PostgreSQL)"


def need_postgres() -> str:
    """The admin URL, or skip the test."""
    if not PG_URL:
        pytest.skip(SKIP_REASON)
    return PG_URL


@asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """Create a database of its own for one test; yield its conninfo; drop it afterwards."""
    admin_url = need_postgres()
    name = f"wwtest_{secrets.token_hex(6)}"
    async with await psycopg.AsyncConnection.connect(admin_url, autocommit=True) as admin:
        await admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_conninfo(admin_url, dbname=name)
    finally:
        async with await psycopg.AsyncConnection.connect(admin_url, autocommit=True) as admin:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            await admin.execute(drop.format(sql.Identifier(name)))
