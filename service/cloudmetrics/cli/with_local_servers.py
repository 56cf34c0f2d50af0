"""`cloudmetrics with-local-servers -- COMMAND`: run COMMAND (for `make up`: prestart, then serve)
with PostgreSQL and Redis answering, on a machine that may run neither.

For each of DATABASE_URL and REDIS_URL that is not set: whatever answers at the default address
is used; if nothing does, a server of our own is started there (docs/adr/0005) and stopped when
COMMAND ends. A URL that is set is never replaced: if it does not answer, COMMAND says so.
Development only: the servers come from development packages that the image does not install.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType

import click

from cloudmetrics.settings import CacheSettings, DatabaseSettings

DEFAULT_DATABASE_URL = DatabaseSettings().url
DEFAULT_REDIS_URL = CacheSettings().url


def _default_address(url: str) -> str:
    from cloudmetrics.local_servers.fallback import Address

    return str(Address.of_url(url))


@click.command(context_settings={"ignore_unknown_options": True})
@click.option(
    "--postgres-address",
    default=_default_address(DEFAULT_DATABASE_URL),
    show_default=True,
    metavar="HOST:PORT",
    help="Where to look for PostgreSQL, and start one if nothing answers (DATABASE_URL unset).",
)
@click.option(
    "--redis-address",
    default=_default_address(DEFAULT_REDIS_URL),
    show_default=True,
    metavar="HOST:PORT",
    help="Where to look for Redis, and start one if nothing answers (REDIS_URL unset).",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Our own servers' data and logs  [default: the checkout's .local-servers/]",
)
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def with_local_servers(
    postgres_address: str, redis_address: str, data_dir: Path | None, command: tuple[str, ...]
) -> None:
    """Run COMMAND with PostgreSQL and Redis answering: our own where none does."""
    from cloudmetrics.local_servers.fallback import DATA_DIR, Address, fallback_servers
    from cloudmetrics.local_servers.programs import LocalServersUnavailable

    environment = dict(os.environ)
    wanted: dict[str, Address | None] = {}
    for variable, text, default_url in (
        ("DATABASE_URL", postgres_address, DEFAULT_DATABASE_URL),
        ("REDIS_URL", redis_address, DEFAULT_REDIS_URL),
    ):
        if environment.get(variable):
            wanted[variable] = None  # configured: never replaced
            continue
        try:
            address = Address.parse(text)
        except ValueError as error:
            raise click.BadParameter(str(error)) from None
        wanted[variable] = address
        environment[variable] = address.in_url(default_url)
    try:
        with fallback_servers(
            data_dir or DATA_DIR,
            postgres=wanted["DATABASE_URL"],
            redis=wanted["REDIS_URL"],
            echo=click.echo,
        ):
            returncode = _run(list(command), environment)
    except (LocalServersUnavailable, ValueError) as error:
        raise click.ClickException(str(error)) from None
    sys.exit(returncode if returncode >= 0 else 128 - returncode)


def _run(command: list[str], environment: dict[str, str]) -> int:
    """Run ``command`` to its end; signals that would end us are passed on to it instead, so
    that our servers outlive it and are stopped after it."""
    try:
        # The developer's own command line, as `make up` passes it.
        child = subprocess.Popen(command, env=environment, process_group=0)  # noqa: S603
    except OSError as error:
        raise click.ClickException(f"cannot run {command[0]}: {error.strerror}") from None

    def pass_on(signum: int, _frame: FrameType | None) -> None:
        with contextlib.suppress(ProcessLookupError):  # it has ended already
            os.killpg(child.pid, signum)

    # COMMAND runs in a process group of its own: Ctrl-C reaches it only through us, once
    # (uvicorn takes a second SIGINT as "stop without waiting for requests").
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, pass_on)
    return child.wait()
