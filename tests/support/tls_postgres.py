"""A throwaway PostgreSQL 15 that speaks TLS only, with a certificate from a CA made here.

initdb refuses to run as root, so when the suite runs as root the server runs as the machine's
`postgres` user. It listens on 127.0.0.1 at a free port and is stopped and removed afterwards.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import trustme

POSTGRES_BIN = Path(os.environ.get("TEST_POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
SERVER_NAME = "localhost"


@dataclass(frozen=True)
class TlsPostgres:
    port: int
    ca_bundle: Path
    """The PEM file of the CA that issued the server's certificate."""

    def url(
        self, *, host: str = SERVER_NAME, sslmode: str = "verify-full", ca: Path | None = None
    ) -> str:
        return (
            f"postgresql://postgres@{host}:{self.port}/postgres"
            f"?sslmode={sslmode}&sslrootcert={ca or self.ca_bundle}"
        )

    def url_without_ca(self, *, sslmode: str) -> str:
        return f"postgresql://postgres@{SERVER_NAME}:{self.port}/postgres?sslmode={sslmode}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def _hand_to_server_user(path: Path) -> None:
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(path, account.pw_uid, account.pw_gid)


@contextmanager
def tls_postgres(ca: trustme.CA) -> Generator[TlsPostgres]:
    missing = [tool for tool in ("initdb", "pg_ctl") if not (POSTGRES_BIN / tool).is_file()]
    if missing:
        raise RuntimeError(
            f"{', '.join(missing)} not found in {POSTGRES_BIN}: install PostgreSQL 15's server "
            "packages or set TEST_POSTGRES_BIN"
        )
    root = Path(tempfile.mkdtemp(prefix="cm-tls-pg-"))
    try:
        root.chmod(0o755)
        data, sockets = root / "data", root / "sockets"
        sockets.mkdir()
        _hand_to_server_user(sockets)
        certificate = ca.issue_cert(SERVER_NAME)
        server_cert, server_key = root / "server.crt", root / "server.key"
        certificate.cert_chain_pems[0].write_to_path(str(server_cert))
        certificate.private_key_pem.write_to_path(str(server_key))
        server_key.chmod(0o600)
        for path in (server_cert, server_key):
            _hand_to_server_user(path)
        ca_bundle = root / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_bundle))
        _hand_to_server_user(root)
        subprocess.run(
            _as_server_user(
                [str(POSTGRES_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]
            ),
            check=True,
            capture_output=True,
        )
        # TLS or nothing: a plain TCP connection is rejected outright.
        (data / "pg_hba.conf").write_text(
            "local all all trust\n"
            "hostssl all all 127.0.0.1/32 trust\n"
            "host all all 127.0.0.1/32 reject\n"
        )
        port = _free_port()
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -k {sockets} -c ssl=on "
            f"-c ssl_cert_file={server_cert} -c ssl_key_file={server_key} -c fsync=off"
        )
        subprocess.run(
            _as_server_user(
                [
                    str(POSTGRES_BIN / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "30",
                    "-l",
                    str(root / "server.log"),
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )
        try:
            yield TlsPostgres(port=port, ca_bundle=ca_bundle)
        finally:
            subprocess.run(
                _as_server_user(
                    [str(POSTGRES_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]
                ),
                check=False,
                capture_output=True,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
