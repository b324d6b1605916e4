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


PIECES = (
    "a", "Z", "0", "9", "-", ".", "_", "~", "!", "$", "&", "'", "(", ")", "*", "+", ",", ";",
    "=", ":", "@", "/", "?", "%", "#", " ", "é", "[", "]", "..", "/.", "\\", "^", "|", "\t",
)  # fmt: skip
HOSTS = (
    "example.org", "a-b.example", "127.0.0.1", "10.1.2.3", "999.1.1.1", "01.2.3.4", "1.2.3",
    "2130706433", "Example.org", "xn--bcher-kva.example", "a..b", "-a.example", "", "[::1]",
    "éxample.org", "a_b.example", "0x7f.1",
)  # fmt: skip
PORTS = ("", ":8080", ":80", ":443", ":0", ":080", ":65535", ":99999", ":")


def test_a_plain_url_is_exactly_what_httpx_reads_it_as() -> None:
    """Every URL `plain_url` accepts, httpx parses without complaint to the same text, so
    sending it unparsed changes nothing; among thousands of mixed ones, some are accepted."""
    import random

    from wirewatch.ingest._lean_transport import plain_url

    rng, accepted = random.Random(18), 0
    for _ in range(20_000):
        path = "".join(rng.choice(PIECES) for _ in range(rng.randrange(0, 8)))
        scheme = rng.choice(("http", "https", "HTTP", "ftp"))
        url = f"{scheme}://{rng.choice(HOSTS)}{rng.choice(PORTS)}/{path}"
        if plain_url(url):
            accepted += 1
            assert url == str(httpx.URL(url))
    assert accepted > 500


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org",  # httpx adds the path
        "http://example.org:80/feed",  # and drops a default port
        "https://example.org:443/feed",
        "http://Example.org/feed",
        "http://999.1.1.1/feed",  # refused by httpx
        "http://example.org/a/../feed",
        "http://example.org/caf%C3%A9",
        "http://example.org/feed#top",
        "http://user@example.org/feed",
        "http://example.org/feed?",
    ],
)
def test_urls_httpx_would_rewrite_or_refuse_are_not_plain(url: str) -> None:
    from wirewatch.ingest._lean_transport import plain_url

    assert not plain_url(url)
