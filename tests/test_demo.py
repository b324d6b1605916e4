"""The bundled sample-feed server (`wirewatch.demo.FeedServer`)."""

from __future__ import annotations

import socket
import urllib.request
from http.server import BaseHTTPRequestHandler

from wirewatch.demo import FeedServer, SampleItem


class Recording(FeedServer):
    """Records TCP_NODELAY on every connection it accepts."""

    def __init__(self) -> None:
        self.nodelay: list[int] = []
        super().__init__()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        seen = self.nodelay

        class Handler(super()._handler()):  # type: ignore[misc]
            def setup(self) -> None:
                super().setup()
                seen.append(self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

        return Handler


def test_answers_are_sent_without_waiting_for_the_clients_acknowledgement() -> None:
    """Each connection has Nagle's algorithm off: with it on, the body written after the
    headers waited for the client's delayed ACK (about 40 ms) on every keep-alive request."""
    server = Recording().start()
    try:
        url = server.add_feed("wire", items=[SampleItem("w1", "Quiet day", "Nothing.", "")])
        with urllib.request.urlopen(url) as answer:
            assert 200 == answer.status
    finally:
        server.stop()
    assert [1] == [1 if flag else 0 for flag in server.nodelay]
