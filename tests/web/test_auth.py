"""Sign-in: the token asked once, kept in an HttpOnly cookie; the API still takes the header."""

from __future__ import annotations

from tests.web.conftest import TOKEN, Desk

PAGE = {"Accept": "text/html"}


async def test_a_browser_without_the_token_is_sent_to_sign_in(locked_desk: Desk) -> None:
    """A page asked for without a token redirects to /login, remembering where it was going."""
    response = await locked_desk.client.get("/feeds?x=1", headers=PAGE)
    assert (303, "/login?next=/feeds?x%3D1") == (response.status_code, response.headers["Location"])


async def test_the_api_without_the_token_stays_401_json(locked_desk: Desk) -> None:
    """Scripts get the JSON 401 they always got, not a redirect."""
    response = await locked_desk.client.get("/api/feeds")
    assert (401, "unauthorized") == (response.status_code, response.json()["error"])


async def test_sign_in_sets_an_httponly_strict_cookie_that_opens_the_page(
    locked_desk: Desk,
) -> None:
    """The right token sets the cookie and goes to `next`; the cookie then opens every page."""
    client = locked_desk.client
    form = await client.get("/login?next=/feeds", headers=PAGE)
    signed = await client.post("/login", data={"token": TOKEN, "next": "/feeds"})
    cookie = signed.headers["Set-Cookie"]
    assert 200 == form.status_code
    assert (303, "/feeds") == (signed.status_code, signed.headers["Location"])
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert 200 == (await client.get("/feeds", headers=PAGE)).status_code
    assert 200 == (await client.get("/api/feeds")).status_code


async def test_a_wrong_token_is_refused_and_sets_nothing(locked_desk: Desk) -> None:
    """A wrong token shows the form again with the reason, and no cookie."""
    response = await locked_desk.client.post("/login", data={"token": "guess", "next": "/"})
    assert 401 == response.status_code
    assert "Set-Cookie" not in response.headers
    assert "not the one the daemon was given" in response.text


async def test_sign_in_never_sends_you_to_another_site(locked_desk: Desk) -> None:
    """`next` must be a path on this server: //evil.example becomes /."""
    response = await locked_desk.client.post(
        "/login", data={"token": TOKEN, "next": "//evil.example/"}
    )
    assert "/" == response.headers["Location"]


async def test_static_files_need_no_token(locked_desk: Desk) -> None:
    """The login page's stylesheet loads before sign-in; unknown files are 404."""
    css = await locked_desk.client.get("/static/desk.css")
    other = await locked_desk.client.get("/static/__init__.py")
    assert (200, "text/css") == (css.status_code, css.headers["Content-Type"].split(";")[0])
    assert 404 == other.status_code


async def test_sign_out_clears_the_cookie(locked_desk: Desk) -> None:
    """POST /logout expires the cookie; the next page asks for the token again."""
    client = locked_desk.client
    await client.post("/login", data={"token": TOKEN, "next": "/"})
    out = await client.post("/logout")
    again = await client.get("/", headers=PAGE)
    assert (303, "/login") == (out.status_code, out.headers["Location"])
    assert 303 == again.status_code and again.headers["Location"].startswith("/login")
