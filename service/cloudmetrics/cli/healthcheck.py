"""`cloudmetrics healthcheck`: the container health check, for images that have no curl.

Deliberately built on the standard library only: ECS runs it every few seconds.
"""

from __future__ import annotations

import http.client
import os
import sys
import urllib.error
import urllib.request

import click

from cloudmetrics.cli.options import HTTP_URL, SECONDS


def _default_url() -> str:
    return f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/health"


@click.command()
@click.option(
    "--url", default=None, type=HTTP_URL, help="Defaults to http://127.0.0.1:$PORT/health."
)
@click.option(
    "--timeout", default=2.0, show_default=True, type=SECONDS, help="Seconds to wait for an answer."
)
def healthcheck(url: str | None, timeout: float) -> None:
    """Exit 0 when the service's liveness endpoint answers 200, 1 otherwise."""
    target = url or _default_url()
    try:
        with urllib.request.urlopen(target, timeout=timeout) as response:  # noqa: S310 - HTTP_URL checks the scheme
            status: int = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except (
        urllib.error.URLError,
        http.client.HTTPException,  # also an unusable URL, e.g. from a PORT that is not a number
        TimeoutError,
        ConnectionError,
        ValueError,
    ) as error:
        reason = getattr(error, "reason", error)
        click.echo(f"unhealthy: {target} did not answer ({reason})", err=True)
        sys.exit(1)
    if status != 200:
        click.echo(f"unhealthy: {target} answered {status}", err=True)
        sys.exit(1)
    click.echo(f"healthy: {target} answered 200")
