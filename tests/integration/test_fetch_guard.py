"""The fetch guard against real servers on 127.0.0.0/8: what it refuses, what it lets through,
redirects, numeric spellings, IPv4-mapped IPv6 and DNS rebinding (through an injected resolver)."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import sqlite3
import ssl
import subprocess
from collections.abc import Iterator, Sequence
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.sites import RSS_HAMA, Site, closed_port, feed, redirect
from tests.support import wirewatch
from wirewatch.ingest.fetch import Fetcher, FetchPolicy
from wirewatch.ingest.netguard import IPNetwork
from wirewatch.model import FetchResult, FetchStatus

pytestmark = pytest.mark.integration
LOOPBACK = (ip_network("127.0.0.0/8"),)
ONLY_FIRST = (ip_network("127.0.0.1/32"),)
LEGS = pytest.mark.parametrize("lean", [False, True], ids=["httpx", "aiohttp"])
"""Every guard test runs over both of the fetcher's transports."""


def refused(address: str, host: str | None = None, redirect: int | None = None) -> str:
    whose = f" (the address of {host!r})" if host else ""
    where = f"HTTP {redirect} redirect: " if redirect else ""
    return (
        f"{where}refused to connect to {address}{whose}: a loopback address, not a public one; "
        "to fetch it anyway, add its network to fetch.allow_networks"
    )


@pytest.fixture
def public() -> Iterator[Site]:
    """The feed server the operator allows (127.0.0.1 stands in for a public host)."""
    with Site("127.0.0.1") as site:
        site.route("/feed.xml", feed())
        yield site


@pytest.fixture
def internal() -> Iterator[Site]:
    """A server on the host's own network, which no feed should reach: 127.0.0.2."""
    with Site("127.0.0.2") as site:
        site.route("/feed.xml", feed(RSS_HAMA))
        yield site


async def fetch(
    lean: bool, url: str, allow: Sequence[IPNetwork] = (), **kwargs: Any
) -> FetchResult:
    """One fetch through httpx's transport or, `lean`, aiohttp's (the pipeline's)."""
    policy = FetchPolicy(allow_networks=tuple(allow))
    async with Fetcher(policy, lean=lean, **kwargs) as fetcher:
        return await fetcher.fetch(url)


@LEGS
async def test_loopback_is_refused_by_default_before_connecting(lean: bool, public: Site) -> None:
    """With no allow list, a feed on 127.0.0.1 fails with one line naming the address and the
    key to set, and the server never sees a connection."""
    result = await fetch(lean, public.url())

    assert (FetchStatus.FAILED, refused("127.0.0.1")) == (result.status, result.error)
    assert 0 == public.connections


@LEGS
async def test_an_allowed_network_is_fetched(lean: bool, public: Site) -> None:
    """`fetch.allow_networks` lets a listed network through."""
    result = await fetch(lean, public.url(), LOOPBACK)

    assert (FetchStatus.OK, RSS_HAMA) == (result.status, result.body)


@pytest.mark.parametrize(
    "host",
    [
        "2130706433",
        "0x7f.1",
        "127.1",
        "0x7f000001",
        "localhost",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
    ],
)
@LEGS
async def test_other_spellings_of_loopback_are_refused_too(
    lean: bool, public: Site, host: str
) -> None:
    """Numeric forms and IPv4-mapped IPv6 are judged by the address they resolve to. Allowed,
    the same URLs reach the server, so each spelling really does lead there."""
    url = public.url(host=host)

    blocked = await fetch(lean, url)
    assert 0 == public.connections
    allowed = await fetch(lean, url, LOOPBACK)

    assert (FetchStatus.FAILED, refused("127.0.0.1", host.strip("[]"))) == (
        blocked.status,
        blocked.error,
    )
    assert (FetchStatus.OK, 1) == (allowed.status, public.connections)


@LEGS
async def test_ipv6_loopback_is_refused(
    lean: bool,
) -> None:
    """[::1] is loopback too (refused before any connection is tried)."""
    result = await fetch(lean, "http://[::1]:9/feed.xml")

    assert refused("::1") == result.error


@pytest.mark.parametrize("spelling", ["127.0.0.2", "2130706434", "[::ffff:127.0.0.2]"])
@LEGS
async def test_a_redirect_to_a_blocked_address_is_refused(
    lean: bool, public: Site, internal: Site, spelling: str
) -> None:
    """An allowed feed that redirects to the internal server fails at that hop, and the
    internal server sees no connection at all."""
    location = internal.url(host=spelling)
    public.route("/moved.xml", redirect(location))

    result = await fetch(lean, public.url("/moved.xml"), ONLY_FIRST)

    host = None if spelling == "127.0.0.2" else spelling.strip("[]")
    assert (FetchStatus.FAILED, refused("127.0.0.2", host, redirect=302)) == (
        result.status,
        result.error,
    )
    assert (1, 0) == (public.connections, internal.connections)


@LEGS
async def test_a_refusal_reads_the_same_whatever_listens_there(lean: bool, internal: Site) -> None:
    """An open port, a closed one and one that never answers give the same error: last_error
    in /api/feeds cannot be used to scan the host's ports."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.2", 0))
        silent.listen(1)  # accepts into the backlog, never answers
        ports = (internal.port, closed_port("127.0.0.2"), silent.getsockname()[1])
        errors = {(await fetch(lean, f"http://127.0.0.2:{port}/feed.xml")).error for port in ports}

    assert {refused("127.0.0.2")} == errors
    assert 0 == internal.connections


class Rebinding:
    """A resolver whose answer for `feeds.test` changes between lookups, as an attacker's DNS
    server with a zero TTL would do."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if host != "feeds.test":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@LEGS
async def test_dns_rebinding_is_caught_at_connect_time(
    lean: bool, public: Site, internal: Site
) -> None:
    """Each connection resolves once and connects to the address it checked: when the name's
    answer turns internal, that connection is refused; the feed keeps its Host header."""
    resolver = Rebinding(["127.0.0.1"], ["127.0.0.2"])
    url = f"http://feeds.test:{public.port}/feed.xml"
    internal_url = f"http://feeds.test:{internal.port}/feed.xml"

    first = await fetch(lean, url, ONLY_FIRST, resolver=resolver)
    second = await fetch(lean, internal_url, ONLY_FIRST, resolver=resolver)

    assert (FetchStatus.OK, RSS_HAMA) == (first.status, first.body)
    assert f"feeds.test:{public.port}" == public.requests[0][2]["host"]
    assert refused("127.0.0.2", "feeds.test") == second.error
    assert (["feeds.test", "feeds.test"], 0) == (resolver.lookups, internal.connections)


@LEGS
async def test_a_name_with_one_internal_address_is_refused_whole(
    lean: bool, public: Site, internal: Site
) -> None:
    """A name that resolves to an allowed and a blocked address is refused, not tried in turn."""
    resolver = Rebinding(["127.0.0.1", "127.0.0.2"])

    result = await fetch(
        lean, f"http://feeds.test:{public.port}/feed.xml", ONLY_FIRST, resolver=resolver
    )

    assert refused("127.0.0.2", "feeds.test") == result.error
    assert (0, 0) == (public.connections, internal.connections)


def test_poll_stores_nothing_of_a_refused_redirect(
    public: Site, internal: Site, tmp_path: Path
) -> None:
    """`poll --once` end to end: the feed fails with the guard's line, and no item or alert of
    the internal page is stored (so none is sent or listed in /api/alerts)."""
    public.route("/moved.xml", redirect(internal.url()))
    config = tmp_path / "wirewatch.yaml"
    config.write_text(
        json.dumps(
            {
                "data_dir": str(tmp_path / "data"),
                "watchlists": [str(REPO / "config/watchlists/syria.yaml")],
                "feeds": [{"url": public.url("/moved.xml"), "name": "wire", "backfill": True}],
                "fetch": {"allow_networks": ["127.0.0.1/32"], "parse_workers": 0},
            }
        ),
        encoding="utf-8",
    )

    result = wirewatch("poll", "--once", "--json", "--config", str(config))

    [row] = [json.loads(line) for line in result.stdout.splitlines()]
    assert (1, "failed", refused("127.0.0.2", redirect=302)) == (
        result.returncode,
        row["status"],
        row["error"],
    )
    with sqlite3.connect(tmp_path / "data" / "wirewatch.db") as db:
        counts = [
            db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("items", "alerts", "outbox")
        ]
    assert [0, 0, 0] == counts
    assert 0 == internal.connections


@pytest.fixture
def tls_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Site, list[str]]]:
    """An HTTPS server on 127.0.0.1 whose certificate names only `feeds.test`, trusted through
    SSL_CERT_FILE; it records the server names (SNI) its clients asked for."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=feeds.test",
            "-addext",
            "subjectAltName=DNS:feeds.test",
        ],
        check=True,
        capture_output=True,
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    names: list[str] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda _socket, name, _context: names.append(name)
    with Site("127.0.0.1") as site:
        site.server.socket = context.wrap_socket(site.server.socket, server_side=True)
        site.route("/feed.xml", feed())
        yield site, names


@LEGS
async def test_tls_still_names_the_host_while_connecting_to_the_checked_address(
    lean: bool,
    tls_site: tuple[Site, list[str]],
) -> None:
    """The connection goes to the address the guard checked, yet TLS asks for the host's name
    (SNI) and verifies the certificate against it."""
    site, names = tls_site
    resolver = Rebinding(["127.0.0.1"])

    result = await fetch(
        lean, f"https://feeds.test:{site.port}/feed.xml", ONLY_FIRST, resolver=resolver
    )

    assert (FetchStatus.OK, RSS_HAMA, ["feeds.test"]) == (result.status, result.body, names)


@LEGS
async def test_a_certificate_nobody_vouches_for_reads_as_not_trusted(
    lean: bool, tls_site: tuple[Site, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same server, its certificate no longer trusted (no SSL_CERT_FILE): one line."""
    site, _ = tls_site
    monkeypatch.delenv("SSL_CERT_FILE")
    url = f"https://feeds.test:{site.port}/feed.xml"

    result = await fetch(lean, url, ONLY_FIRST, resolver=Rebinding(["127.0.0.1"]))

    assert (FetchStatus.FAILED, "TLS certificate not trusted") == (result.status, result.error)


@LEGS
async def test_a_name_that_does_not_resolve_reads_as_host_not_found(
    lean: bool,
) -> None:
    """The guard's own lookup keeps the fetcher's one-line errors: a failed lookup is
    "host not found", as it was before the guard did the resolving."""
    result = await fetch(lean, "http://nowhere.test/feed.xml", resolver=Rebinding(["127.0.0.1"]))

    assert (FetchStatus.FAILED, "host not found") == (result.status, result.error)


@LEGS
async def test_a_lookup_that_hangs_is_bounded_by_the_connect_timeout(
    lean: bool,
) -> None:
    """Resolving counts as connecting: a DNS server that never answers costs connect_timeout."""

    async def silent(host: str, port: int) -> list[str]:
        await asyncio.sleep(3600)
        return []

    async with Fetcher(FetchPolicy(connect=0.2), resolver=silent, lean=lean) as fetcher:
        result = await fetcher.fetch("http://slow-dns.test/feed.xml")

    assert (FetchStatus.FAILED, "timed out connecting after 0.2 s") == (result.status, result.error)
