"""Option types the commands share, so a bad value is a usage error, never a traceback."""

from __future__ import annotations

from urllib.parse import urlsplit

import click

# Strictly positive seconds, capped so a typo cannot stall a pipeline for a day.
SECONDS = click.FloatRange(min=0, max=600, min_open=True)


class HttpUrl(click.ParamType[str, object]):
    """An absolute http:// or https:// URL with a host."""

    name = "url"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> str:
        text = str(value)
        try:
            parts = urlsplit(text)
            port_is_valid = parts.port is None or parts.port > 0
        except ValueError as error:
            self.fail(f"{text!r} is not a valid URL ({error})", param, ctx)
        if parts.scheme not in ("http", "https") or not parts.hostname or not port_is_valid:
            self.fail(f"{text!r} must be an http:// or https:// URL with a host", param, ctx)
        return text


HTTP_URL = HttpUrl()
