"""docs/desk-openapi.yaml documents every JSON and streaming route the desk adds."""

from __future__ import annotations

import yaml

from tests.conftest import REPO
from wirewatch.web import ROUTES


def test_openapi_lists_the_desks_api_routes() -> None:
    """Each route that is not a page (API, events, exports, sign-in, retry) is in the file."""
    spec = yaml.safe_load((REPO / "docs/desk-openapi.yaml").read_text(encoding="utf-8"))
    pages = {"/", "/story/{id}", "/feeds", "/deliveries", "/silences", "/bench", "/logout"}
    wanted = {
        (method.lower(), path)
        for method, path, _ in ROUTES
        if path not in pages and not (path == "/login" and method == "GET")
    }
    documented = {(m, p) for p, ops in spec["paths"].items() for m in ops}
    assert set() == wanted - documented
    assert "3.1.0" == spec["openapi"]
