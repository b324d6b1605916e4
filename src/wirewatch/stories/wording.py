"""Reports that reword one another: candidates for story grouping found by shared words.

A MinHash of a report's word set (datasketch, `scheme="affine64"`) is cut into bands (42 of
3 rows), so that a pair at Jaccard 0.45 shares a band 98% of the time: the banding of
datasketch's MinHashLSH, in constant time per query however many reports are indexed. The
buckets are kept here rather than in a MinHashLSH, for two reasons of speed on a busy index
(a report that shares one common word with many others shares a band with hundreds):

- a bucket holds each report's story, so a query counts the reports of each story in C
  (dict updates and a Counter) instead of visiting every report in Python;
- each band's buckets are spread over `_SHARDS` dicts, so that a dict that grows is resized
  a little at a time: 42 dicts of 100,000 buckets each, all growing in step, cost one report
  about 14 ms when they were resized at once.

It only proposes candidates; the story index weighs them like any other. datasketch is
imported when the first word set is indexed or queried, not at start-up: it brings scipy
(half a second), which a poll cycle where nothing changed never needs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datasketch import MinHash

NUM_PERM = 128
SCHEME = "affine64"
BANDS = (42, 3)
_SHARDS = 16
_BAND_BYTES = BANDS[1] * 8  # a band's hash values, as bytes


class Rewrites:
    """The stories of indexed word sets that a new word set may be a rewrite of."""

    def __init__(self) -> None:
        self._template: MinHash | None = None
        self._buckets: list[dict[bytes, dict[str, str]]] = [{} for _ in range(BANDS[0] * _SHARDS)]
        """(band, shard) -> band value -> key -> story of the key."""
        self._bands: dict[str, list[bytes]] = {}
        """key -> its band values, to remove it."""
        self._last: tuple[Iterable[str], list[bytes]] | None = None
        """The last word set banded and its bands: a member is queried, then added."""

    def add(self, key: str, words: Iterable[str], story_id: str) -> None:
        if key in self._bands:
            return
        bands = self._bands[key] = self._banded(words)
        for table, band in zip(self._tables(bands), bands, strict=True):
            table.setdefault(band, {})[key] = story_id

    def remove(self, key: str) -> None:
        bands = self._bands.pop(key, None)
        if bands is None:
            return
        for table, band in zip(self._tables(bands), bands, strict=True):
            bucket = table[band]
            del bucket[key]
            if not bucket:
                del table[band]

    def stories(self, words: Iterable[str]) -> Counter[str]:
        """How many of each story's indexed word sets share a band with `words`."""
        found: dict[str, str] = {}
        bands = self._banded(words)
        for table, band in zip(self._tables(bands), bands, strict=True):
            bucket = table.get(band)
            if bucket:
                found.update(bucket)
        return Counter(found.values())

    def _tables(self, bands: list[bytes]) -> list[dict[bytes, dict[str, str]]]:
        buckets = self._buckets
        return [buckets[n * _SHARDS + band[0] % _SHARDS] for n, band in enumerate(bands)]

    def _banded(self, words: Iterable[str]) -> list[bytes]:
        if self._last is not None and self._last[0] is words:
            return self._last[1]
        data = self._minhash(words).hashvalues.tobytes()
        bands = [data[n : n + _BAND_BYTES] for n in range(0, BANDS[0] * _BAND_BYTES, _BAND_BYTES)]
        if isinstance(words, frozenset):  # the same object is the same words
            self._last = (words, bands)
        return bands

    def _minhash(self, words: Iterable[str]) -> MinHash:
        if self._template is None:
            from datasketch import MinHash

            self._template = MinHash(num_perm=NUM_PERM, scheme=SCHEME)
        template = self._template
        minhash = type(template)(
            num_perm=NUM_PERM, scheme=SCHEME, permutations=template.permutations
        )
        minhash.update_batch([w.encode() for w in words])
        return minhash
