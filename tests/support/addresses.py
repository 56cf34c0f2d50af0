"""Addresses of the suite's PostgreSQL and Redis, taken apart from the URLs in its settings.

Tests never spell `127.0.0.1:5432` or `6379`: the suite's servers are wherever
TEST_POSTGRES_URL and TEST_REDIS_URL say (`postgres:5432` in the check container and in
the container-parity run), so every derived address starts from those URLs.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

DEFAULT_PORTS = {"postgresql": 5432, "postgres": 5432, "redis": 6379, "rediss": 6379}


def host_port(url: str) -> tuple[str, int]:
    """The server's host and port in `url` (the scheme's default port when none is given)."""
    parts = urlsplit(url)
    if parts.hostname is None:
        raise ValueError(f"{url!r} names no host")
    return parts.hostname, parts.port or DEFAULT_PORTS[parts.scheme]


def netloc(url: str) -> str:
    """`host:port` of `url`, as it appears in the URL (what a proxy replaces)."""
    host, port = host_port(url)
    return f"{host}:{port}"


def with_user(url: str, user: str) -> str:
    """`url` connecting as `user`, without a password, to the same server and database."""
    host, port = host_port(url)
    return urlunsplit(urlsplit(url)._replace(netloc=f"{user}@{host}:{port}"))
