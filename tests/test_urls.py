"""Canonical URLs: one spelling per page."""

from __future__ import annotations

import pytest

from wirewatch.ingest.urls import canonical_url, is_tracking_param


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://News.Example.ORG/a/B", "https://news.example.org/a/B"),
        ("http://example.org:80/a", "http://example.org/a"),
        ("https://example.org:443/a", "https://example.org/a"),
        ("https://example.org:8443/a", "https://example.org:8443/a"),
        ("http://example.org:443/a", "http://example.org:443/a"),
        ("https://example.org", "https://example.org/"),
        ("https://example.org./a", "https://example.org/a"),
        ("https://example.org/a#section-2", "https://example.org/a"),
        ("  https://example.org/a  ", "https://example.org/a"),
        ("https://user:Secret@Example.org/a", "https://user:Secret@example.org/a"),
        ("http://[2001:DB8::1]:80/a", "http://[2001:db8::1]/a"),
    ],
)
def test_scheme_host_port_and_fragment(url: str, expected: str) -> None:
    """Scheme and host are lower-cased, default ports and fragments dropped, the path kept."""
    assert expected == canonical_url(url)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.org/a?utm_source=rss&utm_medium=feed", "https://x.org/a"),
        ("https://x.org/a?id=7&utm_campaign=c&page=2", "https://x.org/a?id=7&page=2"),
        ("https://x.org/a?UTM_Source=x&b=1", "https://x.org/a?b=1"),
        ("https://x.org/a?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&msclkid=5", "https://x.org/a"),
        ("https://x.org/a?z=1&a=2", "https://x.org/a?z=1&a=2"),
        ("https://x.org/a?q=two%20words&r=a+b", "https://x.org/a?q=two%20words&r=a+b"),
        ("https://x.org/a?flag&utm_term=x", "https://x.org/a?flag"),
        ("https://x.org/a?a=1&&b=2&", "https://x.org/a?a=1&b=2"),
        ("https://x.org/a?utm%5Fsource=x", "https://x.org/a"),
        ("https://x.org/a?utmost=1", "https://x.org/a?utmost=1"),
    ],
)
def test_tracking_parameters(url: str, expected: str) -> None:
    """Tracking parameters go; the others stay as written and in their order."""
    assert expected == canonical_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "/relative/path?utm_source=x",
        "mailto:Desk@Example.org",
        "urn:uuid:5f0c1d3e-8a51-4c7e-9d0b-2f6a1c9e7b11",
        "tag:example.org,2024:1#x",
        "http://example.org:notaport/a",
        "http://[::1/a",
        "https:///no-host",
    ],
)
def test_other_urls_come_back_stripped(url: str) -> None:
    """Relative, non-http and unparseable URLs come back as they were, without raising."""
    assert url == canonical_url(f" {url} ")


def test_idempotent() -> None:
    """A canonical URL is its own canonical form."""
    url = canonical_url("HTTP://Example.org:80/a?b=1&utm_source=x#f")
    assert url == canonical_url(url)


def test_is_tracking_param() -> None:
    """Click ids and utm_* parameters track; ordinary parameters do not."""
    assert [True, True, False, False] == [
        is_tracking_param(k) for k in ("utm_content", "GCLID", "id", "utm")
    ]
