"""The silences API, mounted on the daemon's HTTP server (docs/operations.md, "Silences").

    GET    /api/silences         200 {"silences": [silence, ...]}, newest first, expired too
    POST   /api/silences         201 silence; body: {"matchers": {"entity": "homs"} or
                                 ["entity = homs", "tag =~ x"], "duration": "6h" (or seconds)
                                 or "ends_at": ISO 8601, "comment": "...", "author": "..."}
    DELETE /api/silences/{id}    200 silence, now expired (again: unchanged); 404 if unknown

A silence is `{"id", "matchers": {key: value} (its equality matchers), "expressions": [every
matcher as text], "starts_at", "ends_at", "created_at", "comment", "author", "state":
"pending" | "active" | "expired"}`. A bad body is 400 `{"error": "bad_request", "message"}`.
The server's bearer token, when set, guards these paths like every other one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from aiohttp import web

from wirewatch.config.durations import duration
from wirewatch.delivery.matchers import Matcher
from wirewatch.delivery.silences import Silence, matchers_from_json, new_silence, to_json
from wirewatch.model import Clock
from wirewatch.observability.query import BadQuery

_FIELDS = ("matchers", "duration", "ends_at", "comment", "author")
MAX_BODY = 64 * 1024


class SilenceBook(Protocol):
    """The part of the store this API uses."""

    async def add_silence(self, silence: Silence) -> None: ...
    async def list_silences(self, *, limit: int = 500) -> list[Silence]: ...
    async def expire_silence(self, silence_id: str, now: datetime) -> Silence | None: ...


Check = Callable[[Sequence[Matcher]], list[str]]
"""Problems with a silence's matchers (names nothing defines); empty when fine."""


class SilencesApi:
    def __init__(
        self,
        book: SilenceBook,
        *,
        clock: Clock,
        check: Check | None = None,
        changed: Callable[[], None] | None = None,
    ) -> None:
        self.book, self.clock, self.check = book, clock, check
        self.changed = changed or (lambda: None)
        """Called after a silence is added or expired (the pipeline forgets its cache)."""

    def install(self, app: web.Application) -> None:
        app.router.add_get("/api/silences", self.list)
        app.router.add_post("/api/silences", self.create)
        app.router.add_delete("/api/silences/{id}", self.expire)

    async def list(self, request: web.Request) -> web.Response:
        if request.query:
            raise BadQuery("/api/silences takes no query parameters")
        now = self.clock()
        silences = await self.book.list_silences()
        return web.json_response({"silences": [to_json(s, now) for s in silences]})

    async def create(self, request: web.Request) -> web.Response:
        if (request.content_length or 0) > MAX_BODY:
            raise BadQuery(f"the body is larger than {MAX_BODY} bytes")
        try:
            body = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            raise BadQuery("the body is not JSON; send a JSON object") from None
        silence = self.silence_from(body)
        await self.book.add_silence(silence)
        self.changed()
        return web.json_response(to_json(silence, self.clock()), status=201)

    async def expire(self, request: web.Request) -> web.Response:
        silence_id = request.match_info["id"]
        now = self.clock()
        found = await self.book.expire_silence(silence_id, now)
        self.changed()
        if found is None:
            message = f"no silence {silence_id!r}; GET /api/silences lists them"
            return web.json_response({"error": "not_found", "message": message}, status=404)
        return web.json_response(to_json(found, now))

    def silence_from(self, body: Any) -> Silence:
        """A checked silence from a POST body; `BadQuery` says what to fix."""
        if not isinstance(body, dict):
            raise BadQuery('send a JSON object, e.g. {"matchers": {"entity": "homs"}, ...}')
        unknown = [k for k in body if k not in _FIELDS]
        if unknown:
            raise BadQuery(f"unknown field {unknown[0]!r}; use {', '.join(_FIELDS)}")
        comment, author = body.get("comment"), body.get("author", "")
        if not isinstance(comment, str) or not comment.strip():
            raise BadQuery("comment: say why (a non-empty string)")
        if not isinstance(author, str):
            raise BadQuery("author must be a string")
        try:
            found = matchers_from_json(body.get("matchers"))
            problems = self.check(found) if self.check else []
            if problems:
                raise ValueError(problems[0])
            return new_silence(
                found,
                now=self.clock(),
                duration=_duration(body.get("duration")),
                ends_at=_time(body.get("ends_at")),
                comment=comment.strip(),
                author=author.strip(),
            )
        except ValueError as e:
            raise BadQuery(str(e)) from None


def _duration(value: Any) -> timedelta | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError('duration must be a string like "6h" or a number of seconds')
    return timedelta(seconds=duration(str(value)))


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("ends_at must be an ISO 8601 time, e.g. 2024-12-08T18:00:00Z")
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"ends_at {value!r} is not an ISO 8601 time") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
