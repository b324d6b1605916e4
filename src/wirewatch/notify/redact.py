"""Keep secrets out of error text, `repr()` and logs.

`redact(text, secrets)` masks known secret strings wherever they appear; `redact_url` masks the
parts of a URL that carry credentials (userinfo, token-like path segments, query values);
`Redactor` holds every secret of one notifier; `masked_repr` is the `__repr__` of settings
dataclasses, driven by field metadata (`URL`, `SECRET`, `SECRETS`, `HEADERS`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import fields, is_dataclass
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

MASK = "***"
URL = {"redact": "url"}
SECRET = {"redact": "secret"}
SECRETS = {"redact": "secrets"}
HEADERS = {"redact": "headers"}

_WORD = re.compile(r"[a-z][a-z._-]{0,15}")
_MIN_DERIVED = 4


def redact(text: str, secrets: Iterable[str]) -> str:
    """Return `text` with every non-empty secret in `secrets` replaced by `***`."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def redact_url(url: str) -> str:
    """Return `url` with userinfo, token-like path segments and query values masked.

    Only short lowercase words survive in the path (`services`, `webhooks`, `invoke`), so
    `https://hooks.slack.com/services/T000/B000/XXXX` reads `https://hooks.slack.com/services/***/***/***`.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return MASK
    netloc = (f"{MASK}@" if "@" in parts.netloc else "") + host + (f":{port}" if port else "")
    path = "/".join(s if not s or _WORD.fullmatch(s) else MASK for s in parts.path.split("/"))
    query = "&".join(_mask_pair(pair) for pair in parts.query.split("&")) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, path, query, ""))


def url_secrets(url: str) -> tuple[str, ...]:
    """Return the parts of `url` that `redact_url` hides, raw and percent-decoded."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return (url,)
    found = [url if redact_url(url) != url else "", parts.password or "", parts.username or ""]
    found.append(parts.fragment)
    found += [s for s in parts.path.split("/") if s and not _WORD.fullmatch(s)]
    found += [pair.partition("=")[2] for pair in parts.query.split("&")]
    return tuple(s for s in found if len(s) >= _MIN_DERIVED)


def signing_key_forms(secret: str) -> tuple[str, ...]:
    """Return a `whsec_` secret, its base64 part and that part's URL-quoted form."""
    raw = secret.removeprefix("whsec_")
    return (secret, raw, quote(raw, safe=""))


class Redactor:
    """Masks every secret one notifier knows, in any text about to leave it."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))

    def __call__(self, text: str) -> str:
        return redact(text, self._secrets)

    def __repr__(self) -> str:
        return f"Redactor(<{len(self._secrets)} secrets>)"

    @classmethod
    def for_settings(cls, settings: Any) -> Redactor:
        """Collect the secrets of a settings dataclass from its field metadata."""
        return cls(secrets_of(settings))


def secrets_of(settings: Any) -> tuple[str, ...]:
    """Return every secret string a settings dataclass holds, per its field metadata (none
    for settings that are no dataclass: a notifier type without secrets)."""
    found: list[str] = []
    for f in fields(settings) if is_dataclass(settings) else ():
        kind, value = f.metadata.get("redact"), getattr(settings, f.name)
        if not value:
            continue
        if kind == "url":
            found += url_secrets(value)
        elif kind == "secret":
            found.append(value)
        elif kind == "secrets":
            found += [form for s in value for form in signing_key_forms(s)]
        elif kind == "headers":
            found += [v for v in value.values() if len(v) >= _MIN_DERIVED]
    return tuple(found)


def masked_repr(self: Any) -> str:
    """A dataclass `__repr__` that shows secrets as `***` and URLs redacted."""
    assert is_dataclass(self)
    shown = ", ".join(
        f"{f.name}={_masked(f.metadata, getattr(self, f.name))!r}" for f in fields(self)
    )
    return f"{type(self).__name__}({shown})"


def _masked(metadata: Mapping[str, Any], value: Any) -> Any:
    kind = metadata.get("redact")
    if not value or kind is None:
        return value
    if kind == "url":
        return redact_url(value)
    if kind == "secrets":
        return tuple(MASK for _ in value)
    if kind == "headers":
        return {name: MASK for name in value}
    return MASK


def _mask_pair(pair: str) -> str:
    name, sep, _ = pair.partition("=")
    return f"{name}={MASK}" if sep else MASK
