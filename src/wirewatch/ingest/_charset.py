"""UTF-8 documents with a few invalid bytes keep their text (a helper of the parse stage).

feedparser reads a document that fails to decode as its declared encoding again as
windows-1252, whole: one stray byte in a UTF-8 feed turns all its Arabic into mojibake, and
every alert on it is lost. So before feedparser sees it, a body that is UTF-8 (declared so by
the Content-Type charset or the XML declaration, or undeclared and mostly valid UTF-8) has its
invalid bytes replaced by U+FFFD and stays UTF-8. A body declared in another encoding, or in
UTF-16 or UTF-32, is left alone.
"""

from __future__ import annotations

import re

_UTF8_NAMES = frozenset({"utf-8", "utf8"})
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_WIDE = (b"\xff\xfe", b"\xfe\xff")
_REPLACEMENT = "\ufffd".encode()


def repair_utf8(
    body: bytes, content_type: str | None = None, *, declared: str | None = None
) -> bytes:
    """`body` with its invalid UTF-8 bytes replaced, if it is a UTF-8 document; else `body`.

    `declared` forces the encoding (JSON is UTF-8 by definition); otherwise it is read from
    `content_type` (which wins, as in feedparser) and then from the XML declaration.
    """
    if body.startswith(_WIDE) or b"\x00" in body[:4]:
        return body  # UTF-16 or UTF-32
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return body
    encoding = (declared or charset(content_type) or xml_encoding(body) or "").lower()
    text = body.decode("utf-8", "replace")
    if encoding and encoding not in _UTF8_NAMES:
        return body
    if not encoding and not _mostly_utf8(body, text):
        return body  # undeclared and not UTF-8: feedparser's windows-1252 guess is better
    return text.encode("utf-8")


def charset(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type, if it has one."""
    for param in (content_type or "").split(";")[1:]:
        name, _, value = param.partition("=")
        value = value.strip().strip("\"'")
        if name.strip().lower() == "charset" and value:
            return value
    return None


def xml_encoding(body: bytes) -> str | None:
    """The encoding named by the XML declaration at the start of `body`, if any."""
    found = _XML_ENCODING.match(body.removeprefix(b"\xef\xbb\xbf").lstrip()[:200])
    return found.group(1).decode("ascii") if found else None


def _mostly_utf8(body: bytes, text: str) -> bool:
    """Whether valid multi-byte characters outnumber the invalid bytes at least ten to one."""
    bad = text.count("\ufffd") - body.count(_REPLACEMENT)
    extra_bytes = len(body) - len(text)  # at least one per valid multi-byte character
    return extra_bytes >= 10 * bad
