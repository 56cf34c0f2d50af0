"""`cloudmetrics smoke --url URL`: the pipeline's last step against a deployed environment."""

from __future__ import annotations

import os
import sys

import click

from cloudmetrics.cli.options import HTTP_URL, SECONDS

# The deploy hands the smoke key over in this variable (cloudmetrics_ci.deploy_steps).
API_KEY_VARIABLE = "CLOUDMETRICS_API_KEY"


@click.command()
@click.option(
    "--url", required=True, type=HTTP_URL, help="Base URL of the service, e.g. https://api.example."
)
@click.option(
    "--timeout", default=5.0, show_default=True, type=SECONDS, help="Seconds per request."
)
@click.option(
    "--attempts", default=3, show_default=True, type=click.IntRange(1, 20), help="Tries per check."
)
@click.option(
    "--retry-delay",
    default=2.0,
    show_default=True,
    type=click.FloatRange(min=0, max=600),
    help="Seconds between tries.",
)
@click.option(
    "--expect-release",
    metavar="REVISION",
    default=None,
    help="Fail unless /health reports this releaseId (the deploy passes its git revision).",
)
def smoke(
    url: str, timeout: float, attempts: int, retry_delay: float, expect_release: str | None
) -> None:
    """Check /health, /ready, the OpenAPI schema and a write-then-read round trip.

    The round trip authenticates with the API key in CLOUDMETRICS_API_KEY (read and write
    scopes); it is read from the environment only, never from an argument. Prints one line per
    check; exits 0 only when every check passed.
    """
    from cloudmetrics.smoke.runner import run_smoke

    api_key = os.environ.get(API_KEY_VARIABLE, "").strip() or None
    passed = run_smoke(
        url,
        timeout=timeout,
        attempts=attempts,
        retry_delay=retry_delay,
        report=click.echo,
        api_key=api_key,
        expect_release=expect_release,
    )
    sys.exit(0 if passed else 1)
