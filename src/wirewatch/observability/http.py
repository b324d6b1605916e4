"""The HTTP face of the daemon: health, readiness, metrics and a small read-only JSON API.

    GET /healthz       200 {"status": "ok"} while the event loop answers (never needs a token)
    GET /readyz        200 or 503 {"status": "ready" | "not_ready", "checks": {name: {...}},
                       "degraded": [names of failed optional checks, e.g. "destinations"]}
    GET /metrics       Prometheus text
    GET /api/alerts    ?limit=50&offset=0&since=24h|<ISO time>&watchlist=..&entity=..
    GET /api/feeds     feed health
    GET /api/alerts.geojson  the same alerts (same parameters) at their places, as GeoJSON
    GET /api/notifiers delivery health by destination (see wirewatch.delivery.destinations)
    /api/silences      GET, POST and DELETE /api/silences/{id}: mounted by silences_api.py

Bound to 127.0.0.1 by default. With a bearer token set, every path but /healthz needs
`Authorization: Bearer <token>` (compared in constant time), or the HttpOnly cookie the desk's
login page sets (`mount` adds the desk, see wirewatch.web). Errors are JSON too:
`{"error": "<code>", "message": "<what to do>"}` with 400, 401, 404, 405, 500 or 503.

The server knows no store: readiness checks, alerts and feeds come from callables passed in.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler
from yarl import URL

from wirewatch.errors import StoreError
from wirewatch.geojson import PlaceIndex, feature_collection
from wirewatch.model import Clock, utc_now
from wirewatch.observability.metrics import Metrics
from wirewatch.observability.query import AlertQuery, BadQuery, only, parse_alert_query
from wirewatch.observability.readiness import CheckFunc, check_object, run_check

DEFAULT_HOST = "127.0.0.1"
_PATHS = (
    "/healthz",
    "/readyz",
    "/metrics",
    "/api/alerts",
    "/api/feeds",
    "/api/alerts.geojson",
    "/api/notifiers",
)

TOKEN_COOKIE = "wirewatch_token"

log = structlog.get_logger("wirewatch.http")


JSONObject = Mapping[str, Any]
AlertsSource = Callable[[AlertQuery], Awaitable[Sequence[JSONObject]]]
FeedsSource = Callable[[], Awaitable[Sequence[JSONObject]]]
NotifiersSource = Callable[[], Awaitable[Sequence[JSONObject]]]


class HttpServer:
    """The aiohttp server; `start()` binds it and returns the port, `stop()` closes it."""

    def __init__(
        self,
        *,
        metrics: Metrics,
        checks: Mapping[str, CheckFunc],
        alerts: AlertsSource,
        feeds: FeedsSource,
        notifiers: NotifiersSource | None = None,
        token: str | None = None,
        before_scrape: Callable[[], Awaitable[None]] | None = None,
        clock: Clock = utc_now,
        places: Callable[[], PlaceIndex] = dict,
    ) -> None:
        self._metrics, self._checks, self._alerts, self._feeds = metrics, checks, alerts, feeds
        self._notifiers = notifiers
        self._token = token.encode() if token else None
        self._before_scrape = before_scrape
        self._clock = clock
        self._places = places
        self._runner: web.AppRunner | None = None
        self._public: tuple[str, ...] = ("/healthz",)
        self._login: str | None = None
        self.app = web.Application(middlewares=[self._errors, self._auth])
        handlers = (
            self._healthz,
            self._readyz,
            self._metrics_text,
            self._api_alerts,
            self._api_feeds,
            self._api_alerts_geojson,
            self._api_notifiers,
        )
        for path, handler in zip(_PATHS, handlers, strict=True):
            self.app.router.add_get(path, handler)

    def mount(
        self,
        install: Callable[[web.Application], None],
        *,
        public: Sequence[str] = (),
        login: str | None = None,
    ) -> None:
        """Let `install` add routes (the desk). Paths starting with one of `public` need no
        token; a browser asking for a page without one is sent to `login` (with `next`)."""
        install(self.app)
        self._public = (*self._public, *public)
        self._login = login

    async def start(self, host: str = DEFAULT_HOST, port: int = 0) -> int:
        """Listen on `host:port` (port 0 picks a free one); return the bound port."""
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=5.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        bound: int = runner.addresses[0][1]
        log.info("http_started", host=host, port=bound, auth=self._token is not None)
        return bound

    async def stop(self) -> None:
        """Stop listening and finish open requests (up to 5 s)."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPNotFound:
            return _error(404, "not_found", f"no such path; try {', '.join(_PATHS)}")
        except web.HTTPException as e:
            if e.status < 400:
                raise
            return _error(e.status, _code(e), e.reason, headers=e.headers)
        except BadQuery as e:
            return _error(400, "bad_request", str(e))
        except StoreError as e:
            log.warning("http_store_unavailable", path=request.path, error=str(e))
            return _error(503, "store_unavailable", "the store did not answer; try again")
        except Exception:
            log.exception("http_request_failed", path=request.path)
            return _error(500, "internal_error", "the request failed; see the server log")

    @web.middleware
    async def _auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self._token is None or request.path.startswith(self._public):
            return await handler(request)
        if self._authorized(request):
            return await handler(request)
        if self._login and request.method == "GET" and _wants_page(request):
            raise web.HTTPSeeOther(URL(self._login).with_query(next=request.path_qs))
        return _error(
            401,
            "unauthorized",
            "send the header 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": 'Bearer realm="wirewatch"'},
        )

    def _authorized(self, request: web.Request) -> bool:
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        # aiohttp decodes header bytes that are not UTF-8 as surrogates: take them back as bytes.
        given = credentials.strip().encode("utf-8", "surrogateescape")
        if scheme.lower() == "bearer" and hmac.compare_digest(given, self._token or b""):
            return True
        cookie = request.cookies.get(TOKEN_COOKIE, "").encode("utf-8", "surrogateescape")
        return bool(cookie) and hmac.compare_digest(cookie, self._token or b"")

    async def _healthz(self, _: web.Request) -> web.Response:
        return _json({"status": "ok"})

    async def _readyz(self, _: web.Request) -> web.Response:
        names = list(self._checks)
        results = await asyncio.gather(*(run_check(self._checks[n]) for n in names))
        ready = all(c.ok or not c.required for c in results)
        checked = list(zip(names, results, strict=True))
        body = {
            "status": "ready" if ready else "not_ready",
            "checks": {n: check_object(c) for n, c in checked},
            "degraded": [n for n, c in checked if not c.ok and not c.required],
        }
        return _json(body, status=200 if ready else 503)

    async def _metrics_text(self, _: web.Request) -> web.Response:
        if self._before_scrape is not None:
            try:
                await self._before_scrape()
            except Exception as e:  # stale gauges beat no metrics at all
                log.warning("metrics_refresh_failed", error=str(e))
        body, content_type = self._metrics.render()
        return web.Response(body=body, headers={"Content-Type": content_type})

    async def _api_alerts(self, request: web.Request) -> web.Response:
        query = parse_alert_query(request.query, now=self._clock())
        rows = list(await self._alerts(replace(query, limit=query.limit + 1)))
        more = len(rows) > query.limit
        body = {
            "alerts": rows[: query.limit],
            "limit": query.limit,
            "offset": query.offset,
            "next_offset": query.offset + query.limit if more else None,
            "since": query.since.isoformat(),
        }
        return _json(body)

    async def _api_alerts_geojson(self, request: web.Request) -> web.Response:
        """The same alerts as /api/alerts (same parameters), at their places."""
        query = parse_alert_query(request.query, now=self._clock())
        rows = await self._alerts(query)
        body = feature_collection(rows, self._places())
        return web.json_response(body, dumps=_dumps, content_type="application/geo+json")

    async def _api_feeds(self, request: web.Request) -> web.Response:
        only(request.query, ())
        return _json({"feeds": list(await self._feeds())})

    async def _api_notifiers(self, request: web.Request) -> web.Response:
        only(request.query, ())
        found = await self._notifiers() if self._notifiers is not None else []
        return _json({"notifiers": list(found)})


def _wants_page(request: web.Request) -> bool:
    return "text/html" in request.headers.get("Accept", "")


def _json_default(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


_dumps = functools.partial(json.dumps, default=_json_default, ensure_ascii=False)


def _json(body: object, *, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=_dumps)


def _error(
    status: int, code: str, message: str, *, headers: Mapping[str, str] | None = None
) -> web.Response:
    response = _json({"error": code, "message": message}, status=status)
    for name, value in (headers or {}).items():
        if name.lower() not in {"content-type", "content-length"}:
            response.headers[name] = value
    return response


def _code(error: web.HTTPException) -> str:
    return error.reason.lower().replace(" ", "_")
