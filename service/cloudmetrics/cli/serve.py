"""`cloudmetrics serve`: the production ASGI server (uvicorn) with workers from WEB_CONCURRENCY."""

from __future__ import annotations

import click

from cloudmetrics.cli.environment import load_settings
from cloudmetrics.cli.first_steps import LOCAL_SIGN_IN_NOTICE, local_url, serving
from cloudmetrics.cli.listen_check import check_can_listen

UNSHARED_DEPLOYMENT = (
    "SESSION_SECRET is not set, and SESSION_COOKIE_SECURE says this is a deployment: every task "
    "must sign CSRF tokens with the one secret the estate provides (docs/identity.md)"
)


@click.command()
def serve() -> None:
    """Serve the API (HOST, PORT, WEB_CONCURRENCY and the rest come from the environment)."""
    # Validate in the parent process so a bad value stops start-up once, with one line,
    # instead of once per worker.
    settings = load_settings()
    identity = settings.identity
    # Secure cookies mean people reach this over TLS: a deployment, whose tasks sit behind one
    # load balancer and must share a secret. Locally, workers share one kept in Redis instead
    # (identity/shared_secret.py).
    if identity.secure_cookies and identity.session_secret is None:
        raise click.ClickException(UNSHARED_DEPLOYMENT)
    check_can_listen(settings.server)
    from cloudmetrics.server import run

    click.echo(serving(local_url(settings.server)))
    if settings.identity.session_secret is None:
        click.echo(LOCAL_SIGN_IN_NOTICE)
    run(settings)
