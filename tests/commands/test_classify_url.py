"""`wirewatch classify --input URL` goes through the feed fetcher: the network guard, the body
cap counted on decompressed bytes, and the total timeout, each ending in one line and exit 1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.commands.test_classify_cli import SYRIA
from tests.sites import Site, endless, feed, gzip_bomb, redirect, trickle
from tests.support import wirewatch

pytestmark = pytest.mark.integration


@pytest.fixture
def site() -> Iterator[Site]:
    with Site("127.0.0.1") as site:
        yield site


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """Fetch settings for these tests: local servers allowed, a 2 s total timeout."""
    path = tmp_path / "wirewatch.yaml"
    fetch = {"allow_networks": ["127.0.0.1/32"], "timeout": "2s", "max_body": 1024 * 1024}
    path.write_text(json.dumps({"fetch": fetch}), encoding="utf-8")
    return path


def classify(url: str, config: Path | None = None) -> tuple[int, list[str], str]:
    extra = ["--config", str(config)] if config else []
    result = wirewatch("classify", "--watchlist", SYRIA, *extra, "--input", url)
    return result.returncode, result.stderr.splitlines(), result.stdout


def test_a_local_url_is_refused_without_an_allow_list(site: Site) -> None:
    """The guard applies: one line naming the address and the key, exit 1, no connection."""
    url = site.route("/feed.xml", feed())

    code, stderr, stdout = classify(url)

    assert (1, "") == (code, stdout)
    assert [
        f"wirewatch: cannot fetch {url}: refused to connect to 127.0.0.1: a loopback address, "
        "not a public one; to fetch it anyway, add its network to fetch.allow_networks"
    ] == stderr
    assert 0 == site.connections


def test_a_redirect_to_a_blocked_address_is_refused(site: Site, config: Path) -> None:
    """Redirect hops are checked too: 127.0.0.1 is allowed, 127.0.0.2 is not."""
    url = site.route("/moved.xml", redirect("http://127.0.0.2:9/internal"))

    code, stderr, _ = classify(url, config)

    assert 1 == code
    assert [
        f"wirewatch: cannot fetch {url}: HTTP 302 redirect: refused to connect to 127.0.0.2: "
        "a loopback address, not a public one; to fetch it anyway, add its network to "
        "fetch.allow_networks"
    ] == stderr


def test_a_gzip_bomb_stops_at_the_body_cap(site: Site, config: Path) -> None:
    """64 MiB of zeros in 64 KB of gzip: the inflating stops at the 1 MiB cap."""
    url = site.route("/bomb.xml", gzip_bomb())

    code, stderr, _ = classify(url, config)

    assert (1, [f"wirewatch: cannot fetch {url}: body larger than 1 MiB"]) == (code, stderr)


def test_an_endless_body_stops_at_the_body_cap(site: Site, config: Path) -> None:
    """A body that never ends is cut at the cap: the server sent little more than that."""
    url = site.route("/endless.xml", endless())

    code, stderr, _ = classify(url, config)

    assert (1, [f"wirewatch: cannot fetch {url}: body larger than 1 MiB"]) == (code, stderr)
    assert site.sent < 64 * 1024 * 1024


def test_a_slowloris_hits_the_total_timeout(site: Site, config: Path) -> None:
    """One byte every 0.2 s never trips the read timeout; the total timeout (2 s) ends it."""
    url = site.route("/slow.xml", trickle())

    code, stderr, _ = classify(url, config)

    assert (1, [f"wirewatch: cannot fetch {url}: timed out after 2 s"]) == (code, stderr)


def test_credentials_in_the_url_are_not_echoed(site: Site, config: Path) -> None:
    """The failure line masks the URL's password and token, like the logs do."""
    site.route("/gone.xml", feed(b"", status=500))
    url = f"http://reader:hunter2@127.0.0.1:{site.port}/gone.xml?token=s3cr3t"

    code, stderr, _ = classify(url, config)

    assert 1 == code
    assert [
        f"wirewatch: cannot fetch http://***@127.0.0.1:{site.port}/gone.xml?token=***: "
        "HTTP 500 Internal Server Error"
    ] == stderr
