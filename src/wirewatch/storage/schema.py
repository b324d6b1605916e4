"""The packaged schema migrations of each dialect (`migrations/<dialect>/NNNN_name.sql`).

Each dialect applies them its own way (see `sqlite` and `postgres`); the files are never edited
once released, so existing databases keep working.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Literal

from wirewatch.storage.sql import Dialect as SqlDialect
from wirewatch.storage.sql import Statement, Steps, one

Name = Literal["sqlite", "postgres"]
_NAME = re.compile(r"^(\d{4})_\w+\.sql$")


def migrations(dialect: Name) -> list[tuple[int, str]]:
    """The dialect's migrations as (version, SQL), in order."""
    folder = resources.files("wirewatch.storage").joinpath("migrations", dialect)
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    return sorted(found)


def latest_version(dialect: Name) -> int:
    return max(version for version, _ in migrations(dialect))


VERSION = Statement("SELECT MAX(version) FROM schema_version")


def current_version(dialect: SqlDialect) -> Steps[int]:
    """The schema version of the database; 0 before the first migration. Read-only."""
    exists = yield from one(dialect.has_versions)
    if not exists or not exists[0]:
        return 0
    row = yield from one(VERSION)
    return int(row[0] or 0) if row else 0
