"""Real local servers for integration tests: an HTTP receiver in a thread, an aiosmtpd handler."""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from tests.notify.scenarios import SMTP_PASSWORD, SMTP_USER


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = 0.0
    """time.monotonic() when the request arrived."""


@dataclass
class Reply:
    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0


class Receiver:
    """A real HTTP server on 127.0.0.1 that records requests and answers queued replies.

    `with Receiver() as receiver:` serves while the block runs (or `start()` and `stop()`);
    tests take the `receiver` fixture of tests/conftest.py, the one place that starts one."""

    def __init__(self, respond: Callable[[Received], Reply] | None = None) -> None:
        """`respond`, when given, chooses each reply instead of the queue of `reply()`."""
        self.respond = respond
        self.requests: queue.Queue[Received] = queue.Queue()
        self.replies: queue.Queue[Reply] = queue.Queue()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/wirewatch"

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the socket and wait for the thread (none is left behind)."""
        if self.thread.is_alive():
            self.server.shutdown()
            self.thread.join()
        self.server.server_close()

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reply(self, status: int = 204, **kwargs: Any) -> None:
        self.replies.put(Reply(status, **kwargs))

    def received(self) -> list[Received]:
        return list(self.requests.queue)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                received = Received("POST", self.path, headers, body, time.monotonic())
                receiver.requests.put(received)
                if receiver.respond is not None:
                    reply = receiver.respond(received)
                else:
                    reply = receiver.replies.get_nowait() if receiver.replies.qsize() else Reply()
                threading.Event().wait(reply.delay)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._answer(reply)  # the client may have given up (timeout tests)

            def _answer(self, reply: Reply) -> None:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


class SmtpHandler:
    """Records accepted mail; `rcpt_reply` set to an SMTP reply refuses every recipient."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.rcpt_reply: str | None = None

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted"


def authenticate(
    server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    """Accept only SMTP_USER / SMTP_PASSWORD; a refusal must leave handled=False."""
    ok = isinstance(auth_data, LoginPassword) and auth_data == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: SmtpHandler


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
