"""identity's CSRF protection covers the dashboard's forms: a post without the token is refused."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudmetrics.identity.sessions import CSRF_COOKIE, CSRF_FORM_FIELD

FORM = {"email": "nobody@example.com", "password": "not the password"}


async def test_a_form_post_without_the_csrf_token_is_refused(
    client: AsyncTestClient[Litestar],
) -> None:
    page = await client.get("/")
    assert page.status_code == 200
    token = page.cookies.get(CSRF_COOKIE)
    assert token
    assert f'name="{CSRF_FORM_FIELD}"' in page.text

    for path in ("/sign-in", "/sign-out", "/keys"):
        refused = await client.post(path, data=FORM)
        assert refused.status_code == 403, (path, refused.text)

    # With the token the same form reaches the page, which refuses the password instead.
    answered = await client.post("/sign-in", data={**FORM, CSRF_FORM_FIELD: token})
    assert answered.status_code == 400
    assert "do not match" in answered.text
