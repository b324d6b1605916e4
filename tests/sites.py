"""A real HTTP server on one address of 127.0.0.0/8 whose answers each test chooses.

`Site("127.0.0.2")` listens on that address; `site.route(path, answer)` sets what a GET or POST
of `path` gets. It counts the connections it accepted (so a test can show that nothing reached
it) and the bytes it sent. Answers: `feed`, `redirect`, `gzip_bomb`, `endless`, `trickle`.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import sys
import threading
import time
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = Callable[[BaseHTTPRequestHandler, "Site"], None]
RSS_HAMA = (
    b"<?xml version='1.0'?><rss version='2.0'><channel><title>Internal</title>"
    b"<item><guid>internal-1</guid><title>Rebels take Hama, says the internal page</title>"
    b"<link>https://internal.example/1</link></item></channel></rss>"
)


class Site:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.routes: dict[str, Answer] = {}
        self.connections = 0
        self.sent = 0
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.server = ThreadingHTTPServer((host, 0), self._handler())
        self.server.daemon_threads = True
        self.server.verify_request = self._count  # type: ignore[method-assign]
        self.server.handle_error = self._quiet  # type: ignore[method-assign]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str = "/feed.xml", host: str | None = None) -> str:
        return f"http://{host or self.host}:{self.port}{path}"

    def route(self, path: str, answer: Answer) -> str:
        self.routes[path] = answer
        return self.url(path)

    def __enter__(self) -> Site:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def _quiet(self, request: Any, address: Any) -> None:
        """A client that hangs up mid-answer is what these tests expect: not worth a report."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            ThreadingHTTPServer.handle_error(self.server, request, address)

    def _count(self, request: Any, address: Any) -> bool:
        self.connections += 1
        return True

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                self.rfile.read(length)
                self._answer()

            def _answer(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                site.requests.append((self.command, self.path, headers))
                answer = site.routes.get(self.path.partition("?")[0], not_found)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    answer(self, site)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def send(
    handler: BaseHTTPRequestHandler,
    site: Site,
    status: int,
    body: bytes,
    headers: dict[str, str] | None = None,
) -> None:
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)
    site.sent += len(body)


def not_found(handler: BaseHTTPRequestHandler, site: Site) -> None:
    send(handler, site, 404, b"no such page\n", {"Content-Type": "text/plain"})


def feed(body: bytes = RSS_HAMA, status: int = 200) -> Answer:
    return lambda handler, site: send(
        handler, site, status, body, {"Content-Type": "application/rss+xml"}
    )


def redirect(location: str, status: int = 302) -> Answer:
    return lambda handler, site: send(handler, site, status, b"", {"Location": location})


def gzip_bomb(inflated: int = 64 * 1024 * 1024) -> Answer:
    """About 64 KB of gzip that inflates to `inflated` zero bytes."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    body = b"".join(packer.compress(block) for _ in range(inflated // len(block))) + packer.flush()
    headers = {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"}
    return lambda handler, site: send(handler, site, 200, body, headers)


def endless(status: int = 200, chunk: bytes = b"<rss>" + b"x" * 65531) -> Answer:
    """A chunked body that never ends; it stops when the client goes away."""

    def answer(handler: BaseHTTPRequestHandler, site: Site) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        for _ in itertools.count():
            handler.wfile.write(framed)
            site.sent += len(chunk)

    return answer


def trickle(every: float = 0.2) -> Answer:
    """Slowloris: headers promise a megabyte, then one byte arrives every `every` seconds."""

    def answer(handler: BaseHTTPRequestHandler, site: Site) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("Content-Length", str(1024 * 1024))
        handler.end_headers()
        for _ in itertools.count():
            handler.wfile.write(b"<")
            handler.wfile.flush()
            site.sent += 1
            time.sleep(every)

    return answer


def closed_port(host: str = "127.0.0.1") -> int:
    """A port on `host` with nothing listening (bound, then released)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
