"""Refuse to start, in one line, when the server's address cannot be listened on.

uvicorn finds out only after the app has started, logs the reason in a JSON line among others
and exits 3; a person running `make up` beside another server deserves the port and the way
out instead.
"""

from __future__ import annotations

import errno
import socket

import click

from cloudmetrics.settings import ServerSettings


def check_can_listen(server: ServerSettings) -> None:
    """Bind the address as uvicorn will (SO_REUSEADDR), then let it go."""
    family = socket.AF_INET6 if ":" in server.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((server.host, server.port))
        except OSError as error:
            raise click.ClickException(_reason(server, error)) from None


def _reason(server: ServerSettings, error: OSError) -> str:
    where = f"{server.host}:{server.port}"
    if error.errno == errno.EADDRINUSE:
        return (
            f"port {server.port} is in use on {server.host}; "
            f"stop what listens there or pick another port: PORT=8001 make up"
        )
    if error.errno == errno.EACCES:
        return f"may not listen on {where} (ports below 1024 need privileges); set PORT=8000"
    return f"cannot listen on {where}: {error.strerror} (check HOST and PORT)"
