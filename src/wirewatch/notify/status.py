"""One reading of an HTTP response for every webhook format: delivered, retry, or give up.

2xx                                   delivered
408 425 429 500 502 503 504, other 5xx retryable; Retry-After (seconds or HTTP date) or a
  but 501 and 505                       JSON body's `retry_after` (Discord) is honoured
3xx                                   not retryable: redirects are never followed
410 (and per format, e.g. Discord 404) not retryable, and the notifier should be disabled
other 1xx and 4xx, 501, 505           not retryable, with the status and body as the reason

Only the first `BODY_SCAN` bytes of a body are ever read (`read_prefix`): a receiver that
answers with hundreds of megabytes costs no more than a short one.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import AsyncGenerator, Callable
from datetime import datetime
from typing import cast

import httpx

from wirewatch.errors import DeliveryError
from wirewatch.ingest.backoff import parse_retry_after
from wirewatch.notify.redact import redact_url
from wirewatch.notify.render import one_line, truncate

RETRYABLE = frozenset({408, 425, 429, 500, 502, 503, 504})
NOT_RETRYABLE_5XX = frozenset({501, 505})
GONE = frozenset({410})
DETAIL_LIMIT = 200
BODY_SCAN = 8192


async def read_prefix(response: httpx.Response, limit: int = BODY_SCAN) -> bytes:
    """The first `limit` bytes of a streamed body (decoded); the rest is never read."""
    buffer = bytearray()
    chunks = cast(AsyncGenerator[bytes, None], response.aiter_bytes())  # httpx's is a generator
    async with contextlib.aclosing(chunks):
        async for chunk in chunks:
            buffer += chunk
            if len(buffer) >= limit:
                break
    return bytes(buffer[:limit])


def check_response(
    response: httpx.Response,
    *,
    where: str,
    now: datetime,
    redact: Callable[[str], str],
    gone: frozenset[int] = GONE,
    body: bytes | None = None,
) -> None:
    """Return if `response` means delivered, else raise the fitting `DeliveryError`.

    `body` is the start of a streamed body (`read_prefix`); without it, the read response's.
    """
    status = response.status_code
    if 200 <= status < 300:
        return
    body = response.content if body is None else body
    reason = f"{where}: HTTP {status}{_detail(body, redact)}"
    if 300 <= status < 400:
        target = redact(redact_url(response.headers.get("location", "")))
        raise DeliveryError(
            f"{reason}: redirect to {target or 'nowhere'} not followed; configure the final URL",
            retryable=False,
        )
    if status in gone:
        raise DeliveryError(
            f"{reason}: the endpoint is gone; disable this notifier or fix its URL",
            retryable=False,
            disable=True,
        )
    if is_retryable(status):
        wait = retry_after(response, now, body)
        raise DeliveryError(reason, retryable=True, retry_after=wait)
    raise DeliveryError(f"{reason}: not retried, fix the request or the receiver", retryable=False)


def is_retryable(status: int) -> bool:
    return status in RETRYABLE or (500 <= status < 600 and status not in NOT_RETRYABLE_5XX)


def retry_after(response: httpx.Response, now: datetime, body: bytes) -> float | None:
    """Seconds to wait, from `Retry-After` (read as the fetcher reads it: `parse_retry_after`)
    or, without that header, a JSON body's `retry_after`."""
    header = response.headers.get("retry-after", "").strip()
    if header:
        return parse_retry_after(header, now)
    return _body_retry_after(response, body)


def _body_retry_after(response: httpx.Response, body: bytes) -> float | None:
    if "json" not in response.headers.get("content-type", ""):
        return None
    try:
        value = json.loads(body).get("retry_after")
    except (ValueError, AttributeError):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return max(float(value), 0.0)
    return None


def _detail(body: bytes, redact: Callable[[str], str]) -> str:
    """The start of the body, redacted before it is cut so no half secret survives."""
    text = redact(one_line(body[:BODY_SCAN].decode("utf-8", "replace")))
    text = truncate(text, DETAIL_LIMIT)
    return f": {text}" if text else ""
