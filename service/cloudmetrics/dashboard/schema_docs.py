"""The /schema API docs page: Swagger UI from our own built assets, never from a CDN.

Litestar's stock render plugins load their scripts from public CDNs (so the page is blank
without internet) and start them with an inline script (which our Content-Security-Policy
forbids). This one references the fingerprinted copies in web/dist and starts Swagger UI from
a script file that reads the spec URL off the page.
"""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin

from cloudmetrics.dashboard.assets import Assets


class LocalSwaggerRenderPlugin(OpenAPIRenderPlugin):
    def __init__(self, assets: Assets) -> None:
        # "/" makes it the page at /schema itself; "/swagger" keeps Litestar's usual address.
        super().__init__(path=["/", "/swagger"], favicon="", style="")
        self.assets = assets

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = escape(str(openapi_schema["info"]["title"]))
        spec_url = escape(self.get_openapi_json_route(request))  # pyright: ignore[reportUnknownMemberType]
        urls = {name: self.assets.url(name) for name in _FILES}
        if not all(urls.values()):
            return _unbuilt_page(title, spec_url)
        url = urls.__getitem__
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="{url("favicon.svg")}" type="image/svg+xml">
<link rel="stylesheet" href="{url("swagger-ui.css")}">
<link rel="stylesheet" href="{url("swagger-overrides.css")}">
<script src="{url("swagger-ui-bundle.js")}" defer></script>
<script src="{url("swagger-ui-standalone-preset.js")}" defer></script>
<script type="module" src="{url("swagger-init.js")}"></script>
</head>
<body>
<main id="swagger-container" data-spec-url="{spec_url}"></main>
</body>
</html>
""".encode()


_FILES = (
    "favicon.svg",
    "swagger-ui.css",
    "swagger-overrides.css",
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "swagger-init.js",
)


def _unbuilt_page(title: str, spec_url: str) -> bytes:
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{title}</title></head>
<body>
<main>
<h1>{title}</h1>
<p>The interactive docs need the front end: run <code>make assets</code>. The schema itself is at
<a href="{spec_url}">{spec_url}</a>.</p>
</main>
</body>
</html>
""".encode()


__all__ = ["LocalSwaggerRenderPlugin"]
