"""The lean transport's answers read as httpx's: header lookups decoded and joined alike."""

from __future__ import annotations

import httpx
import pytest

from wirewatch.ingest._lean_transport import RawHeaders

CASES = {
    "plain": [(b"ETag", b'"v1"'), (b"Content-Type", b"application/rss+xml")],
    "repeated": [(b"Cache-Control", b"no-cache"), (b"cache-control", b"max-age=0")],
    "utf-8": [(b"ETag", '"é"'.encode()), (b"Last-Modified", b"Tue, 01 Dec 2026 10:00:00 GMT")],
    "latin-1": [(b"ETag", b'"\xe9\xff"'), (b"X-Other", b"caf\xc3\xa9")],
    "none": [],
}
NAMES = ("etag", "ETAG", "content-type", "cache-control", "last-modified", "x-other", "missing")


@pytest.mark.parametrize("raw", CASES.values(), ids=CASES.keys())
def test_raw_headers_answer_every_lookup_as_httpx_headers_do(
    raw: list[tuple[bytes, bytes]],
) -> None:
    """Case-insensitive names, repeated headers joined, and the one decoding httpx picks for
    all of them (ASCII, else UTF-8, else ISO-8859-1): what the fetcher stores is the same."""
    ours, theirs = RawHeaders(raw), httpx.Headers(raw)

    assert [theirs.get(n, "-") for n in NAMES] == [ours.get(n, "-") for n in NAMES]
