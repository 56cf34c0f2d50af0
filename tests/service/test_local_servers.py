"""`make up` on a machine where nothing answers at the default addresses: `cloudmetrics
with-local-servers` starts PostgreSQL and Redis of its own there, `prestart` and `serve` come up
on them, and ending the command stops them; the next run finds its data again.

The default addresses are pointed at ports nothing listens on (the machine's own servers keep
running for everyone else).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from cloudmetrics.local_servers.account import ACCOUNT_NAME, Account, require_reachable
from cloudmetrics.local_servers.fallback import Address
from cloudmetrics.local_servers.postgresql import EmbeddedPostgres
from cloudmetrics.local_servers.programs import LocalServersUnavailable
from tests.support.ports import free_port
from tests.support.reachable_dir import reachable_dir
from tests.support.server import running_server

# Two `make up`s in a row, each an initdb or a start, migrations and a server process: minutes
# on a machine busy with other runs.
pytestmark = pytest.mark.timeout(600)

CLOUDMETRICS = [sys.executable, "-m", "cloudmetrics"]


@pytest.fixture
def data_dir() -> Iterator[Path]:
    with reachable_dir("cm-local-servers-") as folder:
        yield folder / "local-servers"


@pytest.fixture
def closed() -> tuple[Address, Address]:
    """Default addresses for PostgreSQL and Redis that nothing answers."""
    postgres, redis = Address("127.0.0.1", free_port()), Address("127.0.0.1", free_port())
    assert not postgres.answers()
    assert not redis.answers()
    return postgres, redis


def make_up(data_dir: Path, postgres: Address, redis: Address) -> list[str]:
    """What `make up` runs, with the default addresses moved to ``postgres`` and ``redis``."""
    prestart_then_serve = (
        f"{sys.executable} -m cloudmetrics prestart --create-database"
        f" && exec {sys.executable} -m cloudmetrics serve"
    )
    return [
        *CLOUDMETRICS,
        "with-local-servers",
        f"--postgres-address={postgres}",
        f"--redis-address={redis}",
        f"--data-dir={data_dir}",
        "--",
        "bash",
        "-c",
        prestart_then_serve,
    ]


def unconfigured() -> dict[str, str]:
    """The environment of a developer who set no DATABASE_URL or REDIS_URL."""
    return {"DATABASE_URL": "", "REDIS_URL": ""}


async def project_names(url: str) -> list[str]:
    connection = await asyncpg.connect(url)
    try:
        return [row["name"] for row in await connection.fetch("SELECT name FROM projects")]
    finally:
        await connection.close()


def stop_like_ctrl_c(process: subprocess.Popen[bytes]) -> str:
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=120) == 0
    return process.stdout.read().decode() if process.stdout else ""


def test_prestart_and_serve_come_up_on_our_own_servers_and_stop_with_them(
    data_dir: Path, closed: tuple[Address, Address]
) -> None:
    postgres, redis = closed
    database_url = f"postgresql://postgres@{postgres}/cloudmetrics"
    command = make_up(data_dir, postgres, redis)

    with running_server(
        unconfigured(), command=command, ready_path="/ready", startup_timeout=240
    ) as served:
        ready = httpx.get(f"{served.url}/ready").json()
        created = subprocess.run(
            [*CLOUDMETRICS, "projects", "create", "kept-between-runs"],
            env={**os.environ, "DATABASE_URL": database_url},
            capture_output=True,
            text=True,
            check=False,
        )
        server_account = _owner_of_postgres(data_dir / "postgresql")
        first_output = stop_like_ctrl_c(served.process)

    assert ready["status"] == "pass", ready
    assert created.returncode == 0, created.stderr
    assert f"No PostgreSQL answers at {postgres}: started PostgreSQL 16." in first_output
    assert f"data in {data_dir / 'postgresql'}, kept between runs" in first_output
    assert "Set DATABASE_URL to use a real server instead." in first_output
    assert f"No Redis answers at {redis}: started Redis " in first_output
    assert "created database" in first_output
    # Stopping `make up` stopped both.
    assert not postgres.answers()
    assert not redis.answers()
    # PostgreSQL refuses root: as root, it ran as an account of its own.
    assert server_account == (ACCOUNT_NAME if os.geteuid() == 0 else _me())

    with running_server(
        unconfigured(), command=command, ready_path="/ready", startup_timeout=240
    ) as served:
        kept = asyncio.run(project_names(database_url))
        second_output = stop_like_ctrl_c(served.process)

    assert "kept-between-runs" in kept
    assert "created database" not in second_output
    assert not postgres.answers()


def test_a_configured_database_url_is_never_replaced(
    data_dir: Path, closed: tuple[Address, Address]
) -> None:
    postgres, redis = closed
    environment = {
        **os.environ,
        "DATABASE_URL": f"postgresql://postgres@{postgres}/cloudmetrics",
        "REDIS_URL": f"redis://{redis}/0",
    }

    result = subprocess.run(
        [
            *CLOUDMETRICS,
            "with-local-servers",
            f"--postgres-address={postgres}",
            f"--redis-address={redis}",
            f"--data-dir={data_dir}",
            "--",
            *CLOUDMETRICS,
            "prestart",
        ],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert result.returncode == 1
    assert f"PostgreSQL is not reachable at postgresql://postgres@{postgres}" in result.stderr
    assert "started" not in result.stdout
    assert not (data_dir / "postgresql").exists()
    assert not postgres.answers()


def test_our_server_left_running_by_a_killed_run_is_taken_over_and_stopped(
    data_dir: Path, closed: tuple[Address, Address]
) -> None:
    postgres, redis = closed
    # What a `make up` killed with SIGKILL leaves: our server running, its owner gone.
    left_running = EmbeddedPostgres(data_dir / "postgresql")
    left_running.start(postgres.host, postgres.port)
    environment = {**os.environ, **unconfigured()}

    result = subprocess.run(
        [
            *CLOUDMETRICS,
            "with-local-servers",
            f"--postgres-address={postgres}",
            f"--redis-address={redis}",
            f"--data-dir={data_dir}",
            "--",
            "true",
        ],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert f"PostgreSQL: taking over our own server left running at {postgres}" in result.stdout
    assert not postgres.answers()


def test_a_folder_the_server_account_may_not_enter_is_named(tmp_path: Path) -> None:
    shut = tmp_path / "private"
    (shut / "checkout").mkdir(parents=True)
    shut.chmod(0o700)
    stranger = Account("stranger", uid=os.getuid() + 4242, gid=os.getgid() + 4242)

    with pytest.raises(LocalServersUnavailable, match=f"may not enter {shut} "):
        require_reachable(shut / "checkout" / "data", stranger)


def _owner_of_postgres(data_dir: Path) -> str:
    pid = (data_dir / "postmaster.pid").read_text().splitlines()[0]
    return subprocess.run(
        ["ps", "-o", "user=", "-p", pid], capture_output=True, text=True, check=True
    ).stdout.strip()


def _me() -> str:
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name
