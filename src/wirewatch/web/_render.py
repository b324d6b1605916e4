"""The only jinja2 import: templates shipped in the package, autoescaped, and the headers every
desk response carries (a strict Content-Security-Policy: nothing inline, nothing from elsewhere).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jinja2
from aiohttp import web

from wirewatch.web import _view

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("wirewatch.web", "templates"),
    autoescape=jinja2.select_autoescape(("html", "xml"), default=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["when"] = _view.when
_env.globals["ago"] = _view.ago


def render(template: str, context: Mapping[str, Any]) -> str:
    """The template rendered with `context` (feed strings escaped by autoescape)."""
    return _env.get_template(template).render(context)


def page(
    template: str, context: Mapping[str, Any], *, status: int = 200, content_type: str = ""
) -> web.Response:
    """A desk response with the security headers."""
    body = render(template, context)
    response = web.Response(
        text=body, status=status, content_type=content_type or "text/html", charset="utf-8"
    )
    response.headers.update(SECURITY_HEADERS)
    return response
