"""An article's text from a file, stdin or a URL, whether plain text, an HTML page or a feed.

URLs are fetched through `wirewatch.ingest.fetch.Fetcher`, so every limit and guard of feed fetching
(body cap, timeouts, redirects, address checks) applies. An HTML page is reduced to its title
and the paragraphs of its `<article>` (else of its `<body>`); a feed gives its first item's
title and text, or, when that is only a teaser, the page its link points to.
"""

from __future__ import annotations

import asyncio
import html
import re
import sys
from typing import TYPE_CHECKING

from wirewatch.errors import InputError
from wirewatch.ingest.plaintext import to_text

if TYPE_CHECKING:
    from wirewatch.ingest.fetch import FetchPolicy

_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.I | re.S)
_ARTICLE = re.compile(r"<article\b[^>]*>(.*?)</article>", re.I | re.S)
_BODY = re.compile(r"<body\b[^>]*>(.*)</body>", re.I | re.S)
_BLOCK = re.compile(r"<(p|h[1-6]|li|blockquote)\b[^>]*>(.*?)</\1\s*>", re.I | re.S)
_SHORT = 600  # characters: a feed item shorter than this is a teaser; its link has the article
_FURNITURE = re.compile(r"<(nav|header|footer|aside|form|figure|script|style)\b.*?</\1\s*>",
                        re.I | re.S)  # fmt: skip


def read_source(source: str, policy: FetchPolicy | None = None) -> str:
    """The article text of `source` (a path, "-" or an http(s) URL), title on the first line;
    a URL is fetched under `policy` (the defaults when None)."""
    if source == "-":
        data = sys.stdin.buffer.read()
    elif source.startswith(("http://", "https://")):
        data = asyncio.run(_download(source, policy))
    else:
        try:
            with open(source, "rb") as handle:
                data = handle.read()
        except OSError as e:
            raise InputError(f"cannot read article {source}: {e.strerror or e}") from None
    text = to_article_text(data, source, policy)
    if not text.strip():
        raise InputError(f"{source}: no article text found (give plain text, HTML or a feed)")
    return text


def to_article_text(data: bytes, source: str, policy: FetchPolicy | None = None) -> str:
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    head = text.lstrip()[:500].lower()
    if head.startswith("<?xml") or "<rss" in head or "<feed" in head:
        found, link = _feed_text(data, source)
        if len(found) < _SHORT and link.startswith(("http://", "https://")):
            page = asyncio.run(_download(link, policy))  # the item's own page
            return to_article_text(page, link, policy)
        return found
    if head.startswith("<") or "<html" in head or "<p>" in head:
        return html_text(text)
    return text


def html_text(page: str) -> str:
    """Title and paragraphs of an HTML page, one per line."""
    title_match = _H1.search(page) or _TITLE.search(page)
    title = to_text(title_match.group(1)) if title_match else ""
    body_match = _ARTICLE.search(page) or _BODY.search(page)
    body = _FURNITURE.sub(" ", body_match.group(1) if body_match else page)
    blocks = [to_text(m.group(2)) for m in _BLOCK.finditer(body)]
    if not blocks:
        blocks = [to_text(body)]
    lines = [title, *(b for b in blocks if b and b != title)]
    return "\n".join(html.unescape(line) for line in lines if line)


def _feed_text(data: bytes, source: str) -> tuple[str, str]:
    """The first item's title and text, and its link."""
    from wirewatch.ingest.parse import parse_feed

    items = parse_feed(data, feed_url=source if "://" in source else "", feed_name=source).items
    if not items:
        return "", ""
    first = items[0]
    text = "\n".join(p for p in (first.title, first.content or first.summary) if p)
    return text, first.url


async def _download(url: str, policy: FetchPolicy | None) -> bytes:
    from wirewatch.ingest.fetch import Fetcher
    from wirewatch.model import FetchStatus

    async with Fetcher(policy) as fetcher:
        result = await fetcher.fetch(url, headers={"Accept": "text/html, text/plain, */*;q=0.8"})
    if result.status is not FetchStatus.OK:
        raise InputError(f"cannot fetch {url}: {result.error or result.status.value}")
    return result.body
