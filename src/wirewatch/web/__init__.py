"""The desk: the web page an analyst keeps open, served by the daemon's own HTTP server.

    GET  /                    stories, newest first, with filters (?since, watchlist, entity,
                              kind, severity, feed, q, offset); the query string is the view's link
    GET  /story/{alert id}    one story's permalink
    GET  /events              new stories as server-sent events (see _live)
    GET  /feeds               feed health, failing first
    GET  /deliveries          outbox counts per notifier and state; dead letters
    POST /deliveries/retry    put one dead or failed delivery back in the queue
    GET  /silences            silences (when the daemon serves /api/silences)
    GET  /bench, POST /bench  paste text, pick a watchlist, see what matches and what nearly did
    POST /api/bench           the same as JSON
    GET  /export/alerts.atom|.csv|.json   the filtered view as a feed or a download
    GET  /login, POST /login, POST /logout, GET /static/{file}

HTML comes from Jinja2 templates with autoescape; the only script is static/desk.js; every
response carries a strict Content-Security-Policy. docs/desk-openapi.yaml describes the JSON.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from importlib.resources import files

from aiohttp import web

from wirewatch.web import (
    _auth,
    _bench,
    _deliveries,
    _exports,
    _feeds,
    _live,
    _silences,
    _stories,
)
from wirewatch.web._render import SECURITY_HEADERS
from wirewatch.web._sources import DeskSources

__all__ = ["PUBLIC", "DeskSources", "install"]

PUBLIC = ("/login", "/static/")
LOGIN = _auth.LOGIN
_STATIC = {"desk.css": "text/css", "desk.js": "text/javascript"}

View = Callable[[DeskSources, web.Request], Awaitable[web.StreamResponse]]
ROUTES: tuple[tuple[str, str, View], ...] = (
    ("GET", "/", _stories.stories_page),
    ("GET", "/story/{id}", _stories.story_page),
    ("GET", "/events", _live.events),
    ("GET", "/feeds", _feeds.feeds_page),
    ("GET", "/deliveries", _deliveries.deliveries_page),
    ("POST", "/deliveries/retry", _deliveries.retry),
    ("GET", "/silences", _silences.silences_page),
    ("GET", "/bench", _bench.bench_page),
    ("POST", "/bench", _bench.bench_page),
    ("POST", "/api/bench", _bench.bench_json),
    ("GET", "/export/alerts.{format}", _exports.export),
    ("GET", "/login", _auth.login_form),
    ("POST", "/login", _auth.login),
    ("POST", "/logout", _auth.logout),
)


def install(sources: DeskSources) -> Callable[[web.Application], None]:
    """What `HttpServer.mount` calls: adds the desk's routes to the server's app."""

    def add(app: web.Application) -> None:
        for method, path, view in ROUTES:
            app.router.add_route(method, path, functools.partial(view, sources))
        app.router.add_get("/static/{name}", _static)

        async def started(app: web.Application) -> None:
            sources.muting = any(r.canonical == "/api/silences" for r in app.router.resources())

        async def stopping(_: web.Application) -> None:
            sources.stopping.set()

        app.on_startup.append(started)
        app.on_shutdown.append(stopping)

    return add


@functools.cache
def _asset(name: str) -> bytes:
    return files("wirewatch.web").joinpath("static", name).read_bytes()


async def _static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in _STATIC:
        raise web.HTTPNotFound()
    headers = {**SECURITY_HEADERS, "Cache-Control": "no-cache"}
    return web.Response(body=_asset(name), content_type=_STATIC[name], headers=headers)
