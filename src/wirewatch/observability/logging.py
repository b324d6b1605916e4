"""Structured logs: JSON lines by default, a readable console on a terminal, secrets masked.

`configure_logging()` sets up structlog once for the process. Every event carries `timestamp`
(ISO 8601, UTC), `level` and `event` (a stable snake_case name such as `poll_finished`), plus
whatever is bound with `structlog.contextvars.bound_contextvars(feed=..., notifier=...)`.
Records from the standard `logging` module (aiohttp, apscheduler, asyncio) are rendered the same
way; apscheduler's per-run and httpx's per-request INFO chatter is held back to warnings.

Redaction runs on every string field of every event, tracebacks included, just before rendering:

- secrets registered at runtime with `register_secret(...)` (webhook signing keys, SMTP
  passwords, bearer tokens) are replaced by `***` wherever they appear;
- in any URL: the userinfo (`user:pass@`), the values of query parameters whose name contains
  token, key, secret, sig, pass, pwd, auth, credential or session, and the path tokens of
  Slack, Discord and Teams webhook URLs (`https://hooks.slack.com/services/***/***/***`).
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from typing import Any, TextIO
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

MASK = "***"
MIN_SECRET_LENGTH = 4
"""Shorter strings are not registered: masking "abc" everywhere would garble every line."""

_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>`]*[^\s\"'<>`.,;:!?)\]}]")
"""A URL in running text, without the punctuation that may follow it."""
_SECRET_PARAM = re.compile(r"token|key|secret|sig|pass|pwd|auth|credential|session", re.I)
_QUIET_LOGGERS = {
    "apscheduler": logging.WARNING,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
}


class LogRedactor:
    """Masks registered secrets and URL credentials in log text; safe to share between threads.

    Not `notify.redact.Redactor`, which masks one notifier's secrets in its delivery errors and
    hides every token-like part of a URL: here feed URLs must stay readable in the logs.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: tuple[str, ...] = ()

    def register(self, *secrets: str) -> None:
        """Mask each secret (and its URL-encoded form) from now on; short ones are ignored."""
        forms = {f for s in secrets if len(s) >= MIN_SECRET_LENGTH for f in (s, quote(s, safe=""))}
        with self._lock:
            merged = set(self._secrets) | forms
            self._secrets = tuple(sorted(merged, key=len, reverse=True))

    def __call__(self, text: str) -> str:
        """Return `text` with registered secrets and URL credentials masked."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return _URL.sub(lambda m: redact_log_url(m.group(0)), text) if "://" in text else text

    def __repr__(self) -> str:
        return f"LogRedactor(<{len(self._secrets)} secrets>)"

    def processor(self, _logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
        """A structlog processor applying this redactor to every field of an event."""
        for key, value in event.items():
            event[key] = self._scrub(value)
        return event

    def _scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            return self(value)
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, dict):
            return {k: self._scrub(v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self._scrub(v) for v in value]
        if isinstance(value, BaseException):
            return self(f"{type(value).__name__}: {value}")
        return self(str(value))


def redact_log_url(url: str) -> str:
    """Return `url` with its userinfo, secret-looking query values and webhook tokens masked.

    >>> redact_log_url("https://bob:pw@example.org/rss?id=3&api_key=abc")
    'https://***@example.org/rss?id=3&api_key=***'
    >>> redact_log_url("https://discord.com/api/webhooks/123/s3cr3t")
    'https://discord.com/api/webhooks/***/***'
    """
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return MASK
    netloc = f"{MASK}@{parts.netloc.rpartition('@')[2]}" if "@" in parts.netloc else parts.netloc
    segments = parts.path.split("/")
    kept = _webhook_prefix(host, segments)
    path = "/".join(s if i < kept or not s else MASK for i, s in enumerate(segments))
    query, fragment = _mask_params(parts.query), _mask_params(parts.fragment)
    return urlunsplit((parts.scheme, netloc, path, query, fragment))


def _webhook_prefix(host: str, segments: list[str]) -> int:
    """How many leading path segments of a webhook URL are not secret (all, for other hosts)."""
    if host == "hooks.slack.com" or host.endswith((".webhook.office.com", "outlook.office.com")):
        return 2  # "", then services / workflows / triggers / webhookb2
    if host.removeprefix("ptb.").removeprefix("canary.") in {"discord.com", "discordapp.com"}:
        return segments.index("webhooks") + 1 if "webhooks" in segments else len(segments)
    return len(segments)


def _mask_params(text: str) -> str:
    if "=" not in text:
        return text
    pairs = [pair.partition("=") for pair in text.split("&")]
    return "&".join(
        f"{name}={MASK}" if sep and _SECRET_PARAM.search(unquote_plus(name)) else name + sep + value
        for name, sep, value in pairs
    )


default_redactor = LogRedactor()


def register_secret(*secrets: str) -> None:
    """Mask these strings in every log line from now on (tokens, passwords, signing keys)."""
    default_redactor.register(*secrets)


def configure_logging(
    *,
    json: bool | None = None,
    level: str = "info",
    stream: TextIO | None = None,
    redactor: LogRedactor | None = None,
) -> None:
    """Configure structlog and the standard `logging` module for the whole process.

    `json=None` picks JSON lines unless `stream` (stderr by default) is a terminal. `level` is
    one of debug, info, warning, error, critical. Calling it again replaces the configuration.
    """
    out = sys.stderr if stream is None else stream
    use_json = not out.isatty() if json is None else json
    threshold = _level_number(level)
    redact = redactor or default_redactor
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    final: list[Processor] = [
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        redact.processor,
        _renderer(use_json, colors=not use_json and out.isatty()),
    ]
    structlog.configure(
        processors=[*shared, *final],
        wrapper_class=structlog.make_filtering_bound_logger(threshold),
        logger_factory=structlog.WriteLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    _configure_stdlib(out, threshold, shared, final)


def _renderer(use_json: bool, *, colors: bool) -> Processor:
    if use_json:
        return structlog.processors.JSONRenderer(ensure_ascii=False)
    return structlog.dev.ConsoleRenderer(colors=colors)


def _level_number(level: str) -> int:
    number = logging.getLevelNamesMapping().get(level.upper())
    if number is None or level.upper() in {"NOTSET", "WARN", "FATAL"}:
        raise ValueError(f"unknown log level {level!r}: use debug, info, warning, error, critical")
    return number


class _Handler(logging.StreamHandler[TextIO]):
    """The root handler this module installs (recognised and replaced on reconfiguration)."""


def _configure_stdlib(
    out: TextIO, threshold: int, shared: list[Processor], final: list[Processor]
) -> None:
    handler = _Handler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(threshold)
    for name, floor in _QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(floor, threshold))
