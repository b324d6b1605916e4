"""Canonical URLs: one spelling per page, so the same story links the same way from every feed.

`canonical_url` lower-cases the scheme and host, drops default ports, the fragment and tracking
parameters (`utm_*`, click ids, mailing-list ids), and keeps every other query parameter as it was
written and in its order. It never raises: what it cannot parse it returns stripped.
"""

from __future__ import annotations

from urllib.parse import SplitResult, unquote_plus, urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRACKING_PREFIXES = ("utm_",)
_TRACKING_KEYS = frozenset(
    {
        "fbclid",  # Facebook
        "gclid",  # Google Ads
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",  # Microsoft Ads
        "yclid",  # Yandex
        "igshid",  # Instagram
        "mc_cid",  # Mailchimp
        "mc_eid",
        "_hsenc",  # HubSpot
        "_hsmi",
    }
)


def canonical_url(url: str) -> str:
    """Return the canonical spelling of an http(s) `url`; other URLs come back stripped.

    >>> canonical_url("HTTPS://Example.COM:443/a?id=7&utm_source=rss#top")
    'https://example.com/a?id=7'
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.netloc:
            return url
        netloc = _netloc(parts)
    except ValueError:
        return url
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", _query(parts.query), ""))


def is_tracking_param(key: str) -> bool:
    """Whether a query parameter named `key` only tracks the reader (any letter case)."""
    key = key.lower()
    return key in _TRACKING_KEYS or key.startswith(_TRACKING_PREFIXES)


def _netloc(parts: SplitResult) -> str:
    """Lower-cased host, default port dropped, user info kept; ValueError on a bad port."""
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is not None and port != _DEFAULT_PORTS[parts.scheme.lower()]:
        host = f"{host}:{port}"
    userinfo, at, _ = parts.netloc.rpartition("@")
    return f"{userinfo}{at}{host}"


def _query(query: str) -> str:
    """The query without tracking parameters or empty pieces, each piece kept as written."""
    kept = [
        piece
        for piece in query.split("&")
        if piece and not is_tracking_param(unquote_plus(piece.partition("=")[0]))
    ]
    return "&".join(kept)
