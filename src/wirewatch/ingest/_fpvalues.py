"""feedparser's rules for the values of an RSS item, for the fast reader (a parse helper).

Each function gives what feedparser 6 makes of one value of a well-formed document (its
`pop` for text, `_urljoin` for links and ids, `_sync_author_detail` for authors, its RFC 822
reader for dates), or raises `Refused` where it is not sure to: then the whole document goes
to feedparser.
"""

from __future__ import annotations

import contextlib
import re
import urllib.parse
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

_URIFIXER = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*://)(/*)(.*?)")
_EMAIL = re.compile(
    r"(([a-zA-Z0-9\_\-\.\+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([a-zA-Z0-9\-]+\.)+))"
    r"([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))(\?subject=\S+)?"
)
_MONTHS = {m: n for n, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_ZONES = {"ut": 0, "gmt": 0, "z": 0, "adt": -3, "ast": -4, "at": -4, "edt": -4, "est": -5}
_ZONES |= {"et": -5, "cdt": -5, "cst": -6, "ct": -6, "mdt": -6, "mst": -7, "mt": -7, "pdt": -7}
_ZONES |= {"pst": -8, "pt": -8, "a": -1, "n": 1, "m": -12, "y": 12, "met": 1, "mest": 2}
_RFC822 = re.compile(
    r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+)?(?P<day>\d{1,2})\s+"
    r"(?P<month>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s+(?P<year>(?:19|20)\d\d)\s+"
    r"(?P<hour>\d{1,2}):(?P<minute>\d\d)(?::(?P<second>\d\d))?\s+(?P<zone>[+-]\d{4}|[a-z]{1,4})"
)
_W3CDTF = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)")
_CP1252 = {
    i: bytes([i]).decode("cp1252") for i in range(0x80, 0xA0) if i not in (129, 141, 143, 144, 157)
}


class Refused(Exception):
    """Not a document this reader is sure to read as feedparser would."""


def attribute(element: ET.Element, name: str, default: str) -> str:
    for key, value in element.attrib.items():
        if key.lower() == name:
            return value
    return default


def text_of(element: ET.Element) -> str:
    """An element's text as feedparser's `pop` leaves it: stripped, mis-decoded UTF-8 repaired,
    windows-1252 code points mapped."""
    text = (element.text or "").strip()
    if text.isascii():
        return text
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        text = text.encode("iso-8859-1").decode("utf-8")
    return text.translate(_CP1252)


def join(base: str, uri: str) -> str:
    uri = _URIFIXER.sub(r"\1\3", uri)
    try:
        return urllib.parse.urljoin(base, uri)
    except ValueError:
        return ""


def unescaped_link(value: str) -> str:
    value = value.replace("&amp;", "&")
    return re.sub("&([A-Za-z0-9_]+);", r"&\g<1>", value)


def author(text: str) -> str:
    """The name feedparser's `_sync_author_detail` finds in an author string, else its
    e-mail address (what parse keeps of an author)."""
    found = _EMAIL.search(text)
    if not found:
        return text
    email_address = found.group(0)
    name = text.replace(email_address, "").replace("()", "").replace("<>", "")
    name = name.replace("&lt;&gt;", "").strip()
    name = name.removeprefix("(").removesuffix(")").strip() if name else name
    return name or email_address


def rfc822(element: ET.Element | None) -> datetime | None:
    """An RFC 822 date in its usual form, read by feedparser's rules (a zone name it does not
    know would count as UTC there: refused here, as is every other form)."""
    if element is None:
        return None
    value = text_of(element)
    if not value:
        return None
    found = _RFC822.fullmatch(value.lower())
    if not found or (found["zone"][0] not in "+-" and found["zone"] not in _ZONES):
        raise Refused(f"a date feedparser may read otherwise: {value[:40]!r}")
    day, year, hour, minute = (int(found[k]) for k in ("day", "year", "hour", "minute"))
    zone = found["zone"]
    if zone[0] in "+-":
        sign = -1 if zone[0] == "-" else 1
        offset = timedelta(hours=sign * int(zone[1:3]), minutes=sign * int(zone[3:]))
    else:
        offset = timedelta(hours=_ZONES[zone])
    try:
        local = datetime(
            year, _MONTHS[found["month"]], day, hour, minute, int(found["second"] or 0)
        )
    except ValueError as e:
        raise Refused("an impossible date") from e
    return (local - offset).replace(tzinfo=UTC)


def w3cdtf(element: ET.Element | None) -> datetime | None:
    if element is None:
        return None
    value = text_of(element)
    if not _W3CDTF.fullmatch(value):
        raise Refused(f"a date feedparser may read otherwise: {value[:40]!r}")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.astimezone(UTC).replace(microsecond=0)
