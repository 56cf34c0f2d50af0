"""`cloudmetrics serve`: the production ASGI server (uvicorn) with workers from WEB_CONCURRENCY."""

from __future__ import annotations

import click

from cloudmetrics.cli.environment import load_settings


@click.command()
def serve() -> None:
    """Serve the API (HOST, PORT, WEB_CONCURRENCY and the rest come from the environment)."""
    # Validate in the parent process so a bad value stops start-up once, with one line,
    # instead of once per worker.
    settings = load_settings()
    from cloudmetrics.server import run

    run(settings)
