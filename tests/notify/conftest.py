"""Fixtures for notifier tests: a fixed clock, the scenario message, an httpx client and real
local servers (an HTTP receiver and an aiosmtpd SMTP server) on 127.0.0.1."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from aiosmtpd.controller import Controller

from tests.notify.scenarios import make_message
from tests.notify.servers import Receiver, SmtpHandler, SmtpServer, authenticate, free_port
from wirewatch.notify.base import Message
from wirewatch.testing import FixedClock


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def message() -> Message:
    return make_message()


@pytest.fixture(scope="session")
def tls() -> ssl.SSLContext:
    """Loading CA certificates is slow; one context serves every test client."""
    return ssl.create_default_context()


@pytest.fixture
async def client(tls: ssl.SSLContext) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(verify=tls) as client:
        yield client


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()
    receiver.thread.join()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    handler = SmtpHandler()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=authenticate,
        auth_require_tls=False,
    )
    controller.start()
    yield SmtpServer(controller.hostname, controller.port, handler)
    controller.stop()
