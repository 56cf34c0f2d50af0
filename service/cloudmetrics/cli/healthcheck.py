"""`cloudmetrics healthcheck`: the container health check, for images that have no curl.

Deliberately built on the standard library only: ECS runs it every few seconds.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

import click


def _default_url() -> str:
    return f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/health"


@click.command()
@click.option("--url", default=None, help="Defaults to http://127.0.0.1:$PORT/health.")
@click.option("--timeout", default=2.0, show_default=True, help="Seconds to wait for an answer.")
def healthcheck(url: str | None, timeout: float) -> None:
    """Exit 0 when the service's liveness endpoint answers 200, 1 otherwise."""
    target = url or _default_url()
    if not target.startswith(("http://", "https://")):
        raise click.BadParameter("must be an http:// or https:// URL", param_hint="--url")
    try:
        with urllib.request.urlopen(target, timeout=timeout) as response:  # noqa: S310 - scheme checked above
            status: int = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        reason = getattr(error, "reason", error)
        click.echo(f"unhealthy: {target} did not answer ({reason})", err=True)
        sys.exit(1)
    if status != 200:
        click.echo(f"unhealthy: {target} answered {status}", err=True)
        sys.exit(1)
    click.echo(f"healthy: {target} answered 200")
