"""A cache of compiled watchlists for the `classify` command, like Python's own .pyc files.

Compiling a big watchlist (reading its YAML, validating it, building the automaton) costs more
than classifying thousands of items, and people run `classify` again and again while tuning.
The compiled matcher is kept under `$WIREWATCH_CACHE_DIR` (default `~/.cache/wirewatch`), keyed
by the file's bytes, wirewatch's version and the code that compiles it, so any edit compiles
afresh. Only valid watchlists are cached; an entry that cannot be read, or a cache that cannot
be written, is ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
from importlib.resources import files
from pathlib import Path

from wirewatch import __version__
from wirewatch.cachedir import cache_dir
from wirewatch.classify import Matcher
from wirewatch.watchlist import load_watchlist


def load_matcher(path: str, *, use_cache: bool = True) -> Matcher:
    """The compiled matcher of the watchlist at `path`, from the cache when it is current."""
    if not use_cache:
        return Matcher(load_watchlist(path))
    try:
        source = Path(path).read_bytes()
    except OSError:
        return Matcher(load_watchlist(path))  # load_watchlist reports the problem clearly
    entry = cache_dir() / f"matcher-{_key(source)}.pickle"
    # Whatever is wrong with an entry (truncated, written by other code), compile afresh.
    with contextlib.suppress(Exception):
        with entry.open("rb") as handle:
            cached = pickle.load(handle)
        if isinstance(cached, Matcher):
            return cached
    matcher = Matcher(load_watchlist(path))
    _store(entry, matcher)
    return matcher


# What a compiled matcher depends on besides the watchlist: the code that compiles it (so a
# development checkout never loads a matcher pickled by older code) and the common words.
_DEPENDS_ON = (
    "classify.py",
    "fold.py",
    "watchlist.py",
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


def _store(entry: Path, matcher: Matcher) -> None:
    with contextlib.suppress(OSError, pickle.PicklingError):
        entry.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=entry.parent, delete=False) as handle:
            pickle.dump(matcher, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(handle.name, entry)
