"""A cache of compiled watchlists for the `classify` command, like Python's own .pyc files.

Compiling a big watchlist (reading its YAML, validating it, building the automaton) costs more
than classifying thousands of items, and people run `classify` again and again while tuning.
The compiled matcher is kept under `$WIREWATCH_CACHE_DIR` (default `~/.cache/wirewatch`), keyed
by the file's bytes, wirewatch's version and the code that compiles it, so any edit compiles
afresh. Only valid watchlists are cached; a cache that cannot be written is ignored.

An entry is plain JSON data (see `classify.Matcher.to_data`), never pickle: reading one cannot
run code. An entry that is not ours is ignored and compiled afresh: one not owned by the user,
or writable by others, or whose bytes do not match its checksum, or whose data has the wrong
shape (a truncated write, another version's format, a file planted by someone else).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import sys
import tempfile
from importlib.resources import files
from pathlib import Path

from wirewatch import __version__
from wirewatch import fastjson as _json
from wirewatch.config.cachedir import cache_dir
from wirewatch.match.classifier import Matcher
from wirewatch.match.watchlist import load_watchlist

FORMAT = "wirewatch-matcher/2"


def load_matcher(path: str, *, use_cache: bool = True) -> Matcher:
    """The compiled matcher of the watchlist at `path`, from the cache when it is current."""
    if not use_cache:
        return Matcher(load_watchlist(path))
    try:
        source = Path(path).read_bytes()
    except OSError:
        return Matcher(load_watchlist(path))  # load_watchlist reports the problem clearly
    key = _key(source)
    entry = cache_dir() / f"matcher-{key}.json"
    cached = _read(entry, key)
    if cached is not None:
        return cached
    matcher = Matcher(load_watchlist(path))
    _store(entry, key, matcher)
    return matcher


# What a compiled matcher depends on besides the watchlist: the code that compiles it (so a
# development checkout never loads a matcher saved by older code) and the common words.
_DEPENDS_ON = (
    "match/classifier.py",
    "match/forms.py",
    "match/fold.py",
    "match/watchlist.py",
    "data/common_words.txt",
    "gazetteer/resolve.py",  # gazetteer-backed places are expanded when a watchlist loads
    "gazetteer/names.py",
    "gazetteer/spelling.py",
)


def _key(source: bytes) -> str:
    package = files("wirewatch")
    digest = hashlib.sha256()
    for part in (source, __version__.encode(), sys.version.encode()):
        digest.update(hashlib.sha256(part).digest())
    for name in _DEPENDS_ON:
        digest.update(hashlib.sha256(package.joinpath(name).read_bytes()).digest())
    return digest.hexdigest()[:32]


def _read(entry: Path, key: str) -> Matcher | None:
    """The matcher saved in `entry`, or None for a missing, foreign or damaged entry."""
    try:
        with entry.open("rb") as handle:
            if not _ours(os.fstat(handle.fileno())):
                return None
            data = handle.read()
    except OSError:
        return None
    head, _, body = data.partition(b"\n")
    if head != _header(key, body):
        return None
    # Whatever else is wrong with the data (another shape, bad values), compile afresh.
    with contextlib.suppress(Exception):
        return Matcher.from_data(_json.loads(body))
    return None


def _ours(info: os.stat_result) -> bool:
    """A regular file of this user that nobody else may write."""
    mine = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    return stat.S_ISREG(info.st_mode) and mine and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _header(key: str, body: bytes) -> bytes:
    return f"{FORMAT} {key} {hashlib.sha256(body).hexdigest()}".encode()


def _store(entry: Path, key: str, matcher: Matcher) -> None:
    with contextlib.suppress(OSError, TypeError):
        body = _json.dumps(matcher.to_data())
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # NamedTemporaryFile creates the file readable and writable by its owner only.
        with tempfile.NamedTemporaryFile("wb", dir=entry.parent, delete=False) as handle:
            handle.write(_header(key, body) + b"\n" + body)
        os.replace(handle.name, entry)
