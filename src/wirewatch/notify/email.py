"""Email delivery over SMTP (`type: email`): the only module that imports aiosmtplib.

Each message is `multipart/alternative` (plain text and escaped HTML with links). Its
Message-ID is derived from the delivery id, so a retried delivery keeps it and mail clients
can drop the repeat. `security` is explicit: `starttls` (587), `tls` (465) or `none` (25).
SMTP 4xx replies and connection failures are retryable; 5xx replies are not.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import string
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import Parser
from email.utils import format_datetime, parseaddr
from typing import Any, ClassVar, Literal

from pydantic import Field

from wirewatch.config.durations import Seconds
from wirewatch.errors import DeliveryError
from wirewatch.notify.base import Clock, Message
from wirewatch.notify.config import Deps, NotifierBase, check_settings, settings_of
from wirewatch.notify.redact import SECRET, Redactor, masked_repr
from wirewatch.notify.render import (
    AlertView,
    headline,
    one_line,
    plain_text,
    title,
    truncate,
    views,
    watchlists,
)

Security = Literal["starttls", "tls", "none"]
DEFAULT_PORTS: dict[str, int] = {"starttls": 587, "tls": 465, "none": 25}
SUBJECT_FIELDS = frozenset({"watchlist", "title", "count", "event", "severity", "feed"})
SUBJECT_LIMIT = 200
HEADER_WIDTH = 78  # RFC 5322: lines SHOULD be at most 78 characters
_WORD_BYTES = (42, 45)  # UTF-8 bytes per encoded-word: on the first line, then on the others


@dataclass(frozen=True, slots=True, repr=False)
class EmailSettings:
    """One `type: email` entry of the config's `notifiers:` section (`sender` is YAML `from`).

    `subject` is a template over {watchlist}, {title}, {count}, {event}, {severity}, {feed};
    `port` defaults by `security`.
    """

    type: ClassVar[str] = "email"
    name: str
    host: str
    sender: str
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()
    port: int | None = None
    security: Security = "starttls"
    username: str | None = None
    password: str | None = field(default=None, metadata=SECRET)
    subject: str = "[wirewatch] {watchlist}: {title}"
    timeout: float = 10.0  # the config's default (EmailConfig.timeout)

    __repr__ = masked_repr

    def __post_init__(self) -> None:
        problems = _address_problems("from", (self.sender,)) + _address_problems("to", self.to)
        problems += _address_problems("cc", self.cc) + _subject_problems(self.subject)
        if not self.to:
            problems.append("to: needs at least one address")
        if self.security not in DEFAULT_PORTS:
            problems.append(f"security: must be starttls, tls or none, not {self.security!r}")
        if bool(self.username) != bool(self.password):
            problems.append("username and password: set both or neither")
        check_settings(self.name, self.timeout, problems)

    @property
    def effective_port(self) -> int:
        return self.port or DEFAULT_PORTS[self.security]


class EmailConfig(NotifierBase):
    """`type: email`: one email per message over SMTP (`from` is the sender's address)."""

    type: Literal["email"]
    host: str | None = None
    sender: str | None = Field(default=None, alias="from")
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    port: int | None = None
    security: Security = "starttls"
    username: str | None = None
    password: str | None = None
    subject: str = "[wirewatch] {watchlist}: {title}"
    timeout: Seconds = 10.0

    @classmethod
    def missing(cls, raw: dict[str, Any]) -> str | None:
        given = raw.get("host") and (raw.get("from") or raw.get("sender")) and raw.get("to")
        return None if given else "an email notifier needs host, from and to"

    def settings(self) -> EmailSettings:
        return settings_of(self, EmailSettings)


def build(settings: EmailSettings, deps: Deps) -> EmailNotifier:
    return EmailNotifier(settings, clock=deps.clock)


class EmailNotifier:
    """Sends each message as one email to the configured recipients."""

    def __init__(self, settings: EmailSettings, *, clock: Clock) -> None:
        self.name = settings.name
        self._settings = settings
        self._clock = clock
        self._redact = Redactor.for_settings(settings)
        self._where = f"email {settings.name!r} ({settings.host}:{settings.effective_port})"

    def __repr__(self) -> str:
        return f"EmailNotifier({self._settings!r})"

    async def send(self, message: Message) -> None:
        import aiosmtplib  # here: a process that sends no mail (`poll --once`) never loads it

        s = self._settings
        try:
            async with asyncio.timeout(s.timeout):
                await aiosmtplib.send(
                    self.compose(message),
                    hostname=s.host,
                    port=s.effective_port,
                    username=s.username,
                    password=s.password,
                    use_tls=s.security == "tls",
                    start_tls=s.security == "starttls",
                    timeout=s.timeout,
                )
        except (aiosmtplib.SMTPException, OSError) as e:
            reason, retryable = _classify(e, s.username)
            text = self._redact(f"{self._where}: {reason}")
            cause = e if self._redact(str(e)) == str(e) else None
            raise DeliveryError(text, retryable=retryable) from cause

    def compose(self, message: Message) -> EmailMessage:
        """Build the MIME message: headers, then text and HTML alternatives."""
        s = self._settings
        email = subject_message(subject(s.subject, message))
        email["From"] = s.sender
        email["To"] = ", ".join(s.to)
        if s.cc:
            email["Cc"] = ", ".join(s.cc)
        email["Date"] = format_datetime(self._clock())
        email["Message-ID"] = message_id(message.delivery_id, s.sender)
        email["Auto-Submitted"] = "auto-generated"
        email.set_content(plain_text(message))
        email.add_alternative(html_body(message), subtype="html")
        return email


def message_id(delivery_id: str, sender: str) -> str:
    """A Message-ID that is the same on every retry of one delivery.

    `email.utils.make_msgid` mixes in the time and a random number, so it cannot be stable.
    """
    left = hashlib.sha256(delivery_id.encode()).hexdigest()[:32]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "wirewatch.invalid"
    return f"<wirewatch.{left}@{domain}>"


def subject(template: str, message: Message) -> str:
    first = message.alerts[0]
    values = {
        "watchlist": watchlists(message),
        "title": title(message),
        "count": str(len(message.alerts)),
        "event": message.event,
        "severity": first.severity or "",
        "feed": first.feed_label,
    }
    return truncate(one_line(template.format_map(values)), SUBJECT_LIMIT)


def subject_message(text: str) -> EmailMessage:
    """An email with only its Subject, already folded by `fold_subject`.

    The stdlib refolds a header set by a program when the message is sent, and sometimes
    breaks right after "Subject:" (for "[wirewatch] syria: Syrian rebels enter Homs as Assad's
    forces withdraw", for one), so readers saw a subject starting with a space. A header read
    by a parser is sent as it is when its lines are short enough, so the folded subject is
    parsed in; the other headers and the body are added as usual.
    """
    parsed = Parser(policy=policy.default).parsestr(f"Subject: {fold_subject(text)}\n\n")
    assert isinstance(parsed, EmailMessage)  # policy.default makes EmailMessages
    return parsed


def fold_subject(text: str) -> str:
    """`text` as a Subject value folded for the wire: the first line right after "Subject: ",
    each line at most 78 characters, continuation lines starting with the folding space.

    Plain ASCII is folded at its spaces; anything else (non-ASCII, a word too long for a
    line, text that looks like an encoded-word) becomes RFC 2047 encoded-words of whole
    characters, which readers join back without a space between them.
    """
    first, rest = HEADER_WIDTH - len("Subject: "), HEADER_WIDTH - 1
    words = text.split(" ")
    plain = text.isascii() and text.isprintable() and "=?" not in text
    if plain and len(words[0]) <= first and all(len(w) <= rest for w in words):
        return "\n ".join(_fill(words, first, rest))
    return "\n ".join(_encoded_words(text))


def _fill(words: list[str], first: int, rest: int) -> list[str]:
    lines = [words[0]]
    for word in words[1:]:
        if len(lines[-1]) + 1 + len(word) <= (first if len(lines) == 1 else rest):
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _encoded_words(text: str) -> list[str]:
    chunks: list[str] = []
    current = ""
    for char in text:
        limit = _WORD_BYTES[1 if chunks else 0]
        if current and len((current + char).encode()) > limit:
            chunks.append(current)
            current = ""
        current += char
    chunks.append(current)
    return [f"=?utf-8?b?{base64.b64encode(c.encode()).decode()}?=" for c in chunks]


def html_body(message: Message) -> str:
    parts = [f"<h2>{html.escape(headline(message))}</h2>"]
    parts += [_html_alert(v) for v in views(message)]
    body = "\n<hr>\n".join(parts)
    return (
        f'<!doctype html>\n<html><body style="font-family: sans-serif">\n{body}\n</body></html>\n'
    )


def _html_alert(v: AlertView) -> str:
    title_html = html.escape(v.title)
    if v.url:
        title_html = f'<a href="{html.escape(v.url, quote=True)}">{title_html}</a>'
    rows = "".join(
        f"<tr><th align=left>{html.escape(n)}</th><td>{html.escape(val)}</td></tr>"
        for n, val in v.facts
    )
    return f"<h3>{title_html}</h3>\n<p>{html.escape(v.snippet)}</p>\n<table>{rows}</table>"


def _classify(e: BaseException, username: str | None) -> tuple[str, bool]:
    """Return the reason and whether to retry: 4xx and connection trouble yes, 5xx no."""
    import aiosmtplib

    if isinstance(e, aiosmtplib.SMTPAuthenticationError):
        hint = "check username and password"
        return f"login as {username!r} refused: {e.code} {e.message}; {hint}", e.code < 500
    if isinstance(e, aiosmtplib.SMTPRecipientsRefused):
        refused = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in e.recipients)
        return f"recipients refused: {refused}", all(r.code < 500 for r in e.recipients)
    if isinstance(e, aiosmtplib.SMTPResponseException):
        return f"server replied {e.code} {e.message}", e.code < 500
    if isinstance(e, aiosmtplib.SMTPNotSupported) or "not supported" in str(e):
        return f"{e}; check `security` and the server's extensions", False
    return f"{type(e).__name__}: {e}".rstrip(": "), True


def _address_problems(key: str, addresses: tuple[str, ...]) -> list[str]:
    return [
        f"{key}: {address!r} is not an email address"
        for address in addresses
        if "@" not in parseaddr(address)[1] or "\n" in address or "\r" in address
    ]


def _subject_problems(template: str) -> list[str]:
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as e:
        return [f"subject: {e}"]
    unknown = sorted(set(fields) - SUBJECT_FIELDS)
    if unknown:
        allowed = ", ".join("{" + f + "}" for f in sorted(SUBJECT_FIELDS))
        return [f"subject: unknown field(s) {unknown}; use {allowed}"]
    try:
        template.format_map(dict.fromkeys(SUBJECT_FIELDS, "x"))
    except (ValueError, KeyError, IndexError) as e:
        return [f"subject: {e}"]
    return []
