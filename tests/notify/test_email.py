"""Email against a real aiosmtpd server on 127.0.0.1: MIME structure, headers, login, and
which SMTP failures are retryable."""

from __future__ import annotations

import base64
import dataclasses
import re
from email import message_from_bytes, policy
from email.message import EmailMessage

import httpx
import pytest
from aiosmtpd.controller import Controller

from tests.notify.scenarios import (
    SMTP_PASSWORD,
    SMTP_USER,
    hostile_alert,
    make_alert,
    make_digest,
    make_message,
)
from tests.notify.servers import SmtpHandler, SmtpServer, free_port
from wirewatch.errors import ConfigError, DeliveryError
from wirewatch.notify.base import Message
from wirewatch.notify.email import (
    EmailNotifier,
    EmailSettings,
    fold_subject,
    message_id,
    subject,
)
from wirewatch.testing import FixedClock

pytestmark = pytest.mark.integration


def settings_for(server: SmtpServer, **changes: object) -> EmailSettings:
    values: dict[str, object] = {
        "name": "mail",
        "host": server.host,
        "port": server.port,
        "security": "none",
        "sender": "Wirewatch <wirewatch@example.org>",
        "to": ("desk@example.org", "editor@example.org"),
        "cc": ("archive@example.org",),
    }
    return EmailSettings(**(values | changes))  # type: ignore[arg-type]


def received(server: SmtpServer) -> EmailMessage:
    [envelope] = server.handler.envelopes
    assert isinstance(envelope.content, bytes)
    parsed = message_from_bytes(envelope.content, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


async def test_email_is_multipart_alternative_with_text_and_html(
    smtp_server: SmtpServer, message: Message, clock: FixedClock
) -> None:
    """The server receives text/plain and text/html alternatives with the standard headers."""
    await EmailNotifier(settings_for(smtp_server), clock=clock).send(message)

    mail = received(smtp_server)
    parts = [part.get_content_type() for part in mail.iter_parts()]
    assert "multipart/alternative" == mail.get_content_type()
    assert ["text/plain", "text/html"] == parts
    # 72 characters with ":" and "'": the stdlib used to fold it right after "Subject:"
    assert (
        "[wirewatch] syria: Syrian rebels enter Homs as Assad's forces withdraw" == mail["Subject"]
    )
    assert "desk@example.org, editor@example.org" == mail["To"]
    assert "archive@example.org" == mail["Cc"]
    assert "Sat, 07 Dec 2024 18:30:00 +0000" == mail["Date"]
    assert message_id("msg_a1_ops", "wirewatch@example.org") == mail["Message-ID"]
    expected_rcpt = ["desk@example.org", "editor@example.org", "archive@example.org"]
    assert expected_rcpt == smtp_server.handler.envelopes[0].rcpt_tos


async def test_html_part_is_escaped_and_links_the_item(
    smtp_server: SmtpServer, clock: FixedClock
) -> None:
    """Feed text is HTML-escaped; the item URL is the one link."""
    await EmailNotifier(settings_for(smtp_server), clock=clock).send(make_message(hostile_alert()))

    html_part = received(smtp_server).get_body(preferencelist=("html",))
    assert html_part is not None
    html = html_part.get_content()
    assert "&lt;!channel&gt; @everyone *Homs* falls &lt;http://evil.example|click&gt;" in html
    assert '<a href="https://example.org/a?b=1&amp;c=&lt;2&gt;|3">' in html
    assert "<http://evil" not in html


async def test_message_id_is_stable_across_retries(
    smtp_server: SmtpServer, message: Message, clock: FixedClock
) -> None:
    """Two attempts of one delivery carry the same Message-ID, so clients can drop a repeat."""
    notifier = EmailNotifier(settings_for(smtp_server), clock=clock)

    await notifier.send(message)
    await notifier.send(Message(message.delivery_id, message.event, message.alerts, attempt=2))

    first, second = (e.content for e in smtp_server.handler.envelopes)
    assert isinstance(first, bytes) and isinstance(second, bytes)
    ids = [message_from_bytes(raw, policy=policy.default)["Message-ID"] for raw in (first, second)]
    assert ids[0] == ids[1]


async def test_digest_subject_counts_alerts(smtp_server: SmtpServer, clock: FixedClock) -> None:
    """A digest is one email whose subject template sees the count and first title."""
    settings = settings_for(smtp_server, subject="[wirewatch] {count} on {watchlist}")

    await EmailNotifier(settings, clock=clock).send(make_digest(3))

    assert "[wirewatch] 3 on syria" == received(smtp_server)["Subject"]


async def test_login_with_the_right_password_delivers(
    smtp_server: SmtpServer, message: Message, clock: FixedClock
) -> None:
    """username/password log in before sending."""
    settings = settings_for(smtp_server, username=SMTP_USER, password=SMTP_PASSWORD)

    await EmailNotifier(settings, clock=clock).send(message)

    assert 1 == len(smtp_server.handler.envelopes)


async def test_refused_login_is_not_retryable_and_says_why(
    smtp_server: SmtpServer, message: Message, clock: FixedClock
) -> None:
    """A wrong password fails for good, naming the user and what to check."""
    settings = settings_for(smtp_server, username=SMTP_USER, password="wrong-password")

    with pytest.raises(DeliveryError) as caught:
        await EmailNotifier(settings, clock=clock).send(message)

    assert False is caught.value.retryable
    assert "login as 'alerts' refused: 535" in str(caught.value)
    assert "check username and password" in str(caught.value)
    assert [] == smtp_server.handler.envelopes


@pytest.mark.parametrize(
    ("reply", "retryable"),
    [("450 Mailbox busy", True), ("451 Try later", True), ("550 No such user", False)],
)
async def test_refused_recipients_retry_on_4xx_only(
    smtp_server: SmtpServer, message: Message, clock: FixedClock, reply: str, retryable: bool
) -> None:
    """A 4xx reply is temporary and retryable; a 5xx reply is final."""
    smtp_server.handler.rcpt_reply = reply

    with pytest.raises(DeliveryError) as caught:
        await EmailNotifier(settings_for(smtp_server), clock=clock).send(message)

    assert retryable is caught.value.retryable
    assert reply in str(caught.value)


async def test_starttls_against_a_plain_server_fails_for_good(
    smtp_server: SmtpServer, message: Message, clock: FixedClock
) -> None:
    """`security: starttls` never falls back to plain text; the error says to check it."""
    settings = settings_for(smtp_server, security="starttls")

    with pytest.raises(DeliveryError) as caught:
        await EmailNotifier(settings, clock=clock).send(message)

    assert False is caught.value.retryable
    assert "check `security`" in str(caught.value)


def test_settings_report_every_problem_at_once() -> None:
    """Bad addresses, a half login, an unknown security and subject field are all listed."""
    with pytest.raises(ConfigError) as caught:
        EmailSettings(
            name="mail",
            host="smtp.example.org",
            sender="nobody",
            to=(),
            security="ssl",  # type: ignore[arg-type]
            username="alerts",
            subject="{title} {secret}",
        )

    expected = [
        "from: 'nobody' is not an email address",
        "subject: unknown field(s) ['secret']; use {count}, {event}, {feed}, {severity}, "
        "{title}, {watchlist}",
        "to: needs at least one address",
        "security: must be starttls, tls or none, not 'ssl'",
        "username and password: set both or neither",
    ]
    assert expected == caught.value.problems


@pytest.mark.parametrize(("security", "port"), [("starttls", 587), ("tls", 465), ("none", 25)])
def test_port_defaults_by_security(security: str, port: int) -> None:
    """Without a port, starttls uses 587, tls 465 and none 25."""
    settings = EmailSettings(
        name="m",
        host="h",
        sender="a@b.c",
        to=("d@e.f",),
        security=security,  # type: ignore[arg-type]
    )

    assert port == settings.effective_port


def test_client_argument_is_not_needed_for_email(client: httpx.AsyncClient) -> None:
    """The email notifier takes only a clock; the HTTP client is for webhooks."""
    assert (
        "mail"
        == EmailNotifier(
            EmailSettings(name="mail", host="h", sender="a@b.c", to=("d@e.f",)), clock=FixedClock()
        ).name
    )


@pytest.mark.parametrize("template", ["{severity} {title}", "{feed}: {title}", "  {title}"])
@pytest.mark.parametrize("title", ["x" * 150, "الثوار يدخلون حمص " * 6, "Rebels enter Homs"])
def test_subject_never_starts_with_a_space_once_folded(
    clock: FixedClock, template: str, title: str
) -> None:
    """However the template starts and however the header is folded for SMTP, the subject a
    mail client reads back has no leading space; `{feed}` is the feed's name."""
    import dataclasses

    from aiosmtplib.email import flatten_message

    from tests.notify.scenarios import make_alert

    alert = make_alert()
    alert = dataclasses.replace(alert, item=dataclasses.replace(alert.item, title=title))
    settings = EmailSettings(name="m", host="h", sender="a@b.c", to=("x@y.z",), subject=template)
    composed = EmailNotifier(settings, clock=clock).compose(make_message(alert))
    for utf8 in (False, True):
        read = message_from_bytes(flatten_message(composed, utf8=utf8), policy=policy.default)
        assert not read["Subject"].startswith(" "), read["Subject"]
    if "{feed}" in template:
        assert composed["Subject"].startswith("Reuters World: ")


SUBJECT_TITLES = [
    "Syrian rebels enter Homs as Assad's forces withdraw",  # folded after "Subject:" before
    "[Breaking] Syrian rebels enter Homs as Assad's forces withdraw from the city after days",
    "قوات المعارضة تدخل حماة وتسيطر على مطارها العسكري بعد معارك عنيفة مع قوات النظام",
    "الثوار يدخلون حمص " * 6,
    "x" * 150,  # one word longer than a line
    "=?utf-8?b?QWxsIGNsZWFy?= nothing happened",  # looks like an encoded-word: stays text
    "Rebels enter Homs",
]
SUBJECT_TEMPLATES = ["[wirewatch] {watchlist}: {title}", "{title}", "[{feed}] {severity} {title}"]


def smtp(smtputf8: bool) -> tuple[Controller, SmtpHandler]:
    handler = SmtpHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(),
                            enable_SMTPUTF8=smtputf8)  # fmt: skip
    controller.start()
    return controller, handler


@pytest.mark.parametrize("smtputf8", [False, True], ids=["ascii-server", "smtputf8-server"])
async def test_subjects_arrive_whole_without_a_leading_space(
    clock: FixedClock, smtputf8: bool
) -> None:
    """Long, Arabic, bracketed and over-long subjects, sent through a real aiosmtpd server
    (with and without SMTPUTF8): the Subject a reader parses is exactly the one composed, with
    no leading space; every header line is at most 78 characters, the first one starts with
    text right after "Subject: ", and each encoded-word holds whole UTF-8 characters."""
    controller, handler = smtp(smtputf8)
    expected = []
    try:
        for template in SUBJECT_TEMPLATES:
            settings = EmailSettings(name="m", host="127.0.0.1", port=controller.port,
                                     security="none", sender="a@b.c", to=("x@y.z",),
                                     subject=template)  # fmt: skip
            notifier = EmailNotifier(settings, clock=clock)
            for title in SUBJECT_TITLES:
                alert = make_alert()
                alert = dataclasses.replace(
                    alert, item=dataclasses.replace(alert.item, title=title)
                )
                message = make_message(alert)
                expected.append(subject(template, message))
                await notifier.send(message)
    finally:
        controller.stop()
    assert len(expected) == len(handler.envelopes)
    for want, envelope in zip(expected, handler.envelopes, strict=True):
        assert isinstance(envelope.content, bytes)
        read = message_from_bytes(envelope.content, policy=policy.default)
        assert want == read["Subject"]
        assert not want.startswith(" ")
        lines = _subject_lines(envelope.content)
        assert re.match(rb"Subject: \S", lines[0]), lines
        assert all(len(line) <= 78 for line in lines), lines
        for word in re.findall(rb"=\?utf-8\?b\?([A-Za-z0-9+/=]*)\?=", b"".join(lines)):
            base64.b64decode(word).decode("utf-8")  # raises if a character was split


def _subject_lines(content: bytes) -> list[bytes]:
    head = content.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    start = next(i for i, line in enumerate(head) if line.lower().startswith(b"subject:"))
    end = start + 1
    while end < len(head) and head[end][:1] in (b" ", b"\t"):
        end += 1
    return head[start:end]


def test_fold_subject_keeps_plain_ascii_readable() -> None:
    """Plain ASCII is folded at spaces, not encoded; a short subject is one line."""
    assert "Rebels enter Homs" == fold_subject("Rebels enter Homs")
    folded = fold_subject("[wirewatch] syria: " + "Syrian rebels enter Homs " * 4)
    assert "=?" not in folded
    first, *rest = folded.split("\n")
    assert len("Subject: " + first) <= 78 and rest and all(r.startswith(" ") for r in rest)
