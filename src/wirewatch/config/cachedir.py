"""Where wirewatch keeps what it can rebuild: compiled watchlists, the gazetteer index."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """`$WIREWATCH_CACHE_DIR`, else `$XDG_CACHE_HOME/wirewatch`, else `~/.cache/wirewatch`."""
    base = os.environ.get("WIREWATCH_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    return root if os.environ.get("WIREWATCH_CACHE_DIR") else root / "wirewatch"
