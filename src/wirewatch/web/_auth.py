"""Sign-in for browsers: the token asked once, then kept in an HttpOnly, SameSite cookie.

The HTTP server's auth middleware accepts either the bearer header or this cookie (see
observability/http.py), so the desk needs no second check. SameSite=Strict keeps other sites
from riding on the cookie; the cookie holds the token itself, so changing `http.token` signs
every browser out.
"""

from __future__ import annotations

import hmac

from aiohttp import web

from wirewatch.observability.http import TOKEN_COOKIE
from wirewatch.web._render import SECURITY_HEADERS, page
from wirewatch.web._sources import DeskSources

LOGIN = "/login"
_WEEK = 7 * 24 * 3600


def safe_next(target: str) -> str:
    """Only a path on this server: never another host (`//evil`, `https://...`).

    >>> safe_next("//evil.example/"), safe_next("/feeds?x=1")
    ('/', '/feeds?x=1')
    """
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


async def login_form(sources: DeskSources, request: web.Request) -> web.Response:
    target = safe_next(request.query.get("next", "/"))
    if sources.token is None:
        raise web.HTTPSeeOther(target)
    return page("login.html", {"active": "", "next": target, "wrong": False})


async def login(sources: DeskSources, request: web.Request) -> web.Response:
    form = await request.post()
    target = safe_next(str(form.get("next", "/")))
    given = str(form.get("token", "")).strip().encode()
    expected = (sources.token or "").encode()
    if not hmac.compare_digest(given, expected):
        return page("login.html", {"active": "", "next": target, "wrong": True}, status=401)
    response = web.HTTPSeeOther(target, headers=SECURITY_HEADERS)
    response.set_cookie(
        TOKEN_COOKIE,
        sources.token or "",
        httponly=True,
        samesite="Strict",
        secure=request.secure,
        path="/",
        max_age=_WEEK,
    )
    raise response


async def logout(_: DeskSources, request: web.Request) -> web.Response:
    response = web.HTTPSeeOther(LOGIN, headers=SECURITY_HEADERS)
    response.del_cookie(TOKEN_COOKIE, path="/")
    raise response
