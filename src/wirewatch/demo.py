"""A local feed server: bundled sample feeds for `wirewatch run --demo`, and for tests.

`FeedServer` serves RSS 2.0 documents from memory on 127.0.0.1 with ETag and Last-Modified, so
conditional GETs get 304 until a feed gains an item. `DemoPublisher` releases the bundled sample
items (written for this project) a few at a time, so a machine without internet sees alerts flow.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from ipaddress import IPv4Network
from typing import Any


@dataclass(frozen=True)
class SampleItem:
    guid: str
    title: str
    summary: str
    link: str
    published: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class _Feed:
    title: str
    items: list[SampleItem] = field(default_factory=list)
    body: bytes = b""
    etag: str = ""
    modified: datetime = field(default_factory=lambda: datetime.now(UTC))
    conditional: bool = True


def render_rss(title: str, items: list[SampleItem]) -> bytes:
    """An RSS 2.0 document, newest item first."""
    entries = "".join(
        f'<item><guid isPermaLink="false">{escape(i.guid)}</guid><title>{escape(i.title)}</title>'
        f"<link>{escape(i.link)}</link><description>{escape(i.summary)}</description>"
        f"<pubDate>{format_datetime(i.published)}</pubDate></item>"
        for i in reversed(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>http://127.0.0.1/</link>"
        f"<description>{escape(title)}</description>{entries}</channel></rss>"
    ).encode()


class FeedServer:
    """Serves `/<name>.xml` for every feed added; thread-safe; port 0 picks a free port."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self._feeds: dict[str, _Feed] = {}
        self._lock = threading.Lock()
        self.requests = 0
        self.server = _Server((host, port), self._handler())
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.1,), daemon=True)

    @property
    def network(self) -> IPv4Network:
        """The one address it listens on, for the fetch guard to let through."""
        return IPv4Network(f"{self.host}/32")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}.xml"

    def start(self) -> FeedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add_feed(
        self,
        name: str,
        title: str = "",
        items: list[SampleItem] | None = None,
        *,
        conditional: bool = True,
    ) -> str:
        """Serve a feed; `conditional=False` ignores If-None-Match, as many servers do."""
        with self._lock:
            self._feeds[name] = _Feed(title or name, list(items or []), conditional=conditional)
            self._render(name)
        return self.url(name)

    def publish(self, name: str, item: SampleItem) -> None:
        """Add an item to a feed; its ETag changes, so the next poll gets the new document."""
        with self._lock:
            self._feeds[name].items.append(item)
            self._render(name)

    def _render(self, name: str) -> None:
        feed = self._feeds[name]
        feed.body = render_rss(feed.title, feed.items)
        feed.etag = '"' + hashlib.sha1(feed.body).hexdigest()[:16] + '"'
        feed.modified = datetime.now(UTC)

    def _lookup(self, path: str) -> _Feed | None:
        name = path.partition("?")[0].strip("/").removesuffix(".xml")  # a query changes nothing
        with self._lock:
            return self._feeds.get(name)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                server.requests += 1
                feed = server._lookup(self.path)
                if feed is None:
                    self._reply(404, b"no such feed\n", {"Content-Type": "text/plain"})
                elif feed.conditional and self.headers.get("If-None-Match") == feed.etag:
                    self._reply(304, b"", {"ETag": feed.etag})
                else:
                    headers = {
                        "Content-Type": "application/rss+xml; charset=utf-8",
                        "ETag": feed.etag,
                        "Last-Modified": format_datetime(feed.modified, usegmt=True),
                    }
                    self._reply(200, feed.body, headers)

            def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # socketserver's 5 drops a burst of connections (1 s stalls)


def sample_items() -> list[dict[str, Any]]:
    """The bundled sample items (JSON Lines written for this project)."""
    text = files("wirewatch").joinpath("data/samples/items.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class DemoPublisher:
    """Two sample outlets; every `step()` publishes the next sample item to one of them."""

    FEEDS = ("sample-wire", "sample-desk")

    def __init__(self, server: FeedServer) -> None:
        self.server = server
        self.pending = sample_items()
        self.count = 0
        for name in self.FEEDS:
            server.add_feed(name, f"wirewatch demo: {name}")

    @property
    def urls(self) -> list[str]:
        return [self.server.url(name) for name in self.FEEDS]

    def step(self) -> bool:
        """Publish one more item; False when all have been published."""
        if not self.pending:
            return False
        raw = self.pending.pop(0)
        item = SampleItem(raw["id"], raw["title"], raw["summary"], raw.get("link", ""))
        self.server.publish(self.FEEDS[self.count % len(self.FEEDS)], item)
        self.count += 1
        return True
