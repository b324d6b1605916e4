"""Reports that reword one another: candidates for story grouping found by shared words.

A MinHash of a report's word set (datasketch, `scheme="affine64"`) goes into a MinHashLSH
index whose bands (42 of 3 rows) make a pair at Jaccard 0.45 a candidate 98% of the time, in
constant time per query however many reports are indexed. It only proposes candidates; the
story index weighs them like any other. datasketch is imported when the first word set is
indexed or queried, not at start-up: it brings scipy (half a second), which a poll cycle where
nothing changed never needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datasketch import MinHash, MinHashLSH

NUM_PERM = 128
SCHEME = "affine64"
BANDS = (42, 3)


class Rewrites:
    """Keys of indexed word sets that a new word set may be a rewrite of."""

    def __init__(self) -> None:
        self._made: tuple[MinHash, MinHashLSH] | None = None
        self._keys: set[str] = set()
        self._last: tuple[Iterable[str], MinHash] | None = None
        """The last word set hashed and its MinHash: a member is queried, then added."""

    @property
    def _lsh(self) -> MinHashLSH:
        return self._index()[1]

    def _index(self) -> tuple[MinHash, MinHashLSH]:
        if self._made is None:
            from datasketch import MinHash, MinHashLSH

            self._made = (
                MinHash(num_perm=NUM_PERM, scheme=SCHEME),
                MinHashLSH(num_perm=NUM_PERM, params=BANDS),
            )
        return self._made

    def add(self, key: str, words: Iterable[str]) -> None:
        if key not in self._keys:
            self._lsh.insert(key, self._minhash(words), check_duplication=False)
            self._keys.add(key)

    def remove(self, key: str) -> None:
        if key in self._keys:
            self._lsh.remove(key)
            self._keys.discard(key)

    def query(self, words: Iterable[str]) -> list[str]:
        """The keys, in no particular order (there may be hundreds: sorting them is for the
        caller that needs an order)."""
        return list(self._lsh.query(self._minhash(words)))

    def _minhash(self, words: Iterable[str]) -> MinHash:
        if self._last is not None and self._last[0] is words:
            return self._last[1]
        template = self._index()[0]
        minhash = type(template)(
            num_perm=NUM_PERM, scheme=SCHEME, permutations=template.permutations
        )
        minhash.update_batch([w.encode() for w in words])
        if isinstance(words, frozenset):  # the same object is the same words
            self._last = (words, minhash)
        return minhash
