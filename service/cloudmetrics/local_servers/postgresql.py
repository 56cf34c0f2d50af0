"""A PostgreSQL server of our own: initdb once into a data directory, then pg_ctl start and stop.

It listens on one TCP address and no Unix socket (whose folder would need to be writable by the
server's account, and whose path length is limited). Authentication is `trust` from the loopback
address only, as on the machines' own servers.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from cloudmetrics.local_servers.account import (
    Account,
    give,
    require_reachable,
    run_as,
    server_account,
)
from cloudmetrics.local_servers.programs import (
    LocalServersUnavailable,
    postgres_bin_dir,
    require_production_major_or_older,
)

SUPERUSER = "postgres"

# For servers whose data is thrown away at the end (the test suite's): durability costs a flush
# per commit and a full page per change, and nothing needs it.
THROWAWAY_SETTINGS: Mapping[str, str] = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    bin_dir: Path = field(default_factory=postgres_bin_dir)

    @cached_property
    def account(self) -> Account | None:
        return server_account()

    @cached_property
    def version(self) -> tuple[int, int]:
        return require_production_major_or_older(self.bin_dir)

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    @property
    def hba_file(self) -> Path:
        return self.data_dir / "pg_hba.conf"

    def url(self, host: str, port: int, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@{host}:{port}/{database}"

    def initialize(self) -> bool:
        """Create the data directory with initdb unless it holds a cluster already; True if it
        created one."""
        if (self.data_dir / "PG_VERSION").exists():
            return False
        self.version  # noqa: B018 - refuses a newer major version before anything is written
        require_reachable(self.bin_dir / "postgres", self.account)
        require_reachable(self.data_dir, self.account)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)
        give(self.data_dir, self.account)
        self._pg(
            "initdb",
            [
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
            ],
            failure="initdb failed",
            from_log=False,
        )
        return True

    def start(self, host: str, port: int, settings: Mapping[str, str] | None = None) -> None:
        """Start the server on ``host:port`` and wait until it accepts connections."""
        self.initialize()
        options = [
            "-c",
            f"listen_addresses={host}",
            "-p",
            str(port),
            "-c",
            "unix_socket_directories=",
        ]
        for name, value in (settings or {}).items():
            options += ["-c", f"{name}={value}"]
        self._pg(
            "pg_ctl",
            [
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                "120",
                "-o",
                shlex.join(options),
                "start",
            ],
            failure=f"PostgreSQL did not start on {host}:{port}",
        )

    def running_port(self) -> int | None:
        """The port of the server running on this data directory, or None."""
        pid_file = self.data_dir / "postmaster.pid"
        if not pid_file.exists():
            return None  # never started, or stopped cleanly: nothing to ask pg_ctl
        status = run_as(
            self.account, [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "status"]
        )
        if status.returncode != 0:
            return None
        # postmaster.pid: pid, data directory, start time, port, ... (one per line).
        lines = pid_file.read_text().splitlines()
        return int(lines[3]) if len(lines) > 3 and lines[3].isdigit() else None

    def stop(self) -> None:
        self._pg(
            "pg_ctl",
            ["-D", str(self.data_dir), "-m", "fast", "-w", "-t", "60", "stop"],
            failure="PostgreSQL did not stop",
        )

    def _pg(
        self, program: str, arguments: list[str], *, failure: str, from_log: bool = True
    ) -> None:
        result = run_as(self.account, [str(self.bin_dir / program), *arguments])
        if result.returncode == 0:
            return
        # pg_ctl only says "could not start server"; the reason is the server log's last line.
        output = (result.stderr or result.stdout).strip().splitlines()
        log = self.log_file.read_text().strip().splitlines() if self.log_file.exists() else []
        last = ((log if from_log else []) or output or ["no output"])[-1]
        raise LocalServersUnavailable(f"{failure}: {last} (log: {self.log_file})")
