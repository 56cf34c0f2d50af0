"""Text the database cannot hold is a 400, never a 500: every route of the app is walked with
a NUL character in each of its path and query parameters and in the text fields of its bodies,
by a client that holds a key, a signed-in owner's session and its CSRF token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import quote

from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from cloudmetrics.identity.sessions import CSRF_FORM_FIELD
from tests.support.identity import PASSWORD, IssuedKey, add_user

NUL = "a\x00b"
SKIPPED_PREFIXES = ("/schema", "/assets")
# Query parameters read from the request itself rather than declared on the handler.
UNDECLARED_QUERY = {
    "/api/v1/series": ("match[]", "start", "end"),
    "/api/v1/labels": ("match[]", "start", "end"),
    "/api/v1/label/{label:str}/values": ("match[]", "start", "end"),
    "/write": ("db", "u", "p", "rp"),
    "/api/v2/write": ("bucket", "org"),
}
NOW = "2026-01-01T00:00:00Z"
JSON_BODIES: dict[str, Any] = {
    "/v1/metrics": {"points": [{"metric": NUL, "value": 1, "tags": {NUL: NUL}}]},
    "/auth/sign-in": {"email": f"{NUL}@acme.test", "password": NUL},
    "/api/projects/{project:str}/keys": {"scopes": ["read"], "name": NUL},
}
FORM_BODIES: dict[str, dict[str, str]] = {
    "/sign-in": {"email": f"{NUL}@acme.test", "password": NUL},
    "/keys": {"name": NUL, "scopes": "read", "expires_in_days": "30"},
}
TEXT_BODIES: dict[str, str] = {
    "/api/v2/write": f"cpu,host=a\x00b value=1 {1_700_000_000}",
    "/write": f"cpu,host=a\x00b value=1 {1_700_000_000}",
}


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict[str, str])
    json: Any = None
    form: dict[str, str] | None = None
    text: str | None = None


def _path(template: str, nul_in: str | None) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return quote(NUL if name == nul_in else "acme", safe="")

    return re.sub(r"\{(\w+):\w+\}", fill, template)


def _calls(app: Litestar) -> Iterator[Call]:
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(SKIPPED_PREFIXES):
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                declared = [
                    name
                    for name, parameter in handler.parsed_fn_signature.parameters.items()
                    if type(parameter.kwarg_definition).__name__ == "ParameterKwarg"
                    and name not in ("resources", "principal")
                    and name not in route.path_parameters
                ]
                queries = [*declared, *UNDECLARED_QUERY.get(route.path, ())]
                for name in route.path_parameters:
                    yield Call(method, _path(route.path, name))
                for name in queries:
                    yield Call(method, _path(route.path, None), query={name: NUL})
                template = route.path
                if method in ("POST", "DELETE"):
                    yield Call(
                        method,
                        _path(template, None),
                        json=JSON_BODIES.get(template),
                        form=FORM_BODIES.get(template),
                        text=TEXT_BODIES.get(template),
                    )


async def test_no_route_answers_5xx_to_a_nul(
    anonymous_client: AsyncTestClient[Litestar], migrated_database_url: str, api_key: IssuedKey
) -> None:
    client = anonymous_client
    await add_user(migrated_database_url, "owner@acme.test", role="owner")
    token = (await client.get("/auth/session")).json()["csrfToken"]
    signed_in = await client.post(
        "/auth/sign-in",
        json={"email": "owner@acme.test", "password": PASSWORD},
        headers={"X-CSRFToken": token},
    )
    assert signed_in.status_code == 200
    headers = {**api_key.headers, "X-CSRFToken": token}

    failures: list[str] = []
    calls = list(_calls(cast("Litestar", client.app)))  # pyright: ignore[reportUnknownMemberType]
    for call in calls:
        if call.form is not None:
            response = await client.request(
                call.method,
                call.path,
                params=call.query,
                data={**call.form, CSRF_FORM_FIELD: token},
                headers=headers,
            )
        elif call.text is not None:
            response = await client.request(
                call.method, call.path, params=call.query, content=call.text, headers=headers
            )
        else:
            response = await client.request(
                call.method, call.path, params=call.query, json=call.json, headers=headers
            )
        if response.status_code >= 500:
            failures.append(f"{call.method} {call.path} {call.query}: {response.status_code}")

    assert len(calls) > 45
    assert failures == []


async def test_a_nul_in_the_sign_in_email_is_a_400_problem(
    anonymous_client: AsyncTestClient[Litestar],
) -> None:
    token = (await anonymous_client.get("/auth/session")).json()["csrfToken"]

    answer = await anonymous_client.post(
        "/auth/sign-in",
        json={"email": f"{NUL}@acme.test", "password": PASSWORD},
        headers={"X-CSRFToken": token},
    )

    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["type"].endswith("/invalid-text")
