"""A throwaway PostgreSQL that speaks TLS only, with a certificate from a CA made here.

Started from PostgreSQL programs built with SSL (`SuitePostgres.tls_server_bin_dir`),
the way `make up` starts its own server (as an account of its own when we are root). It listens
on 127.0.0.1 at a free port and is stopped and removed afterwards.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import trustme

from cloudmetrics.local_servers.account import give
from cloudmetrics.local_servers.postgresql import THROWAWAY_SETTINGS, EmbeddedPostgres
from tests.support.ports import free_port

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


@contextmanager
def tls_postgres(ca: trustme.CA, bin_dir: Path) -> Generator[TlsPostgres]:
    root = Path(tempfile.mkdtemp(prefix="cm-tls-pg-"))
    try:
        root.chmod(0o755)
        server = EmbeddedPostgres(root / "data", bin_dir)
        server.initialize()
        certificate = ca.issue_cert(SERVER_NAME)
        server_cert, server_key = root / "server.crt", root / "server.key"
        certificate.cert_chain_pems[0].write_to_path(str(server_cert))
        certificate.private_key_pem.write_to_path(str(server_key))
        # PostgreSQL refuses a key others may read; it must be the server account's own.
        server_key.chmod(0o600)
        for path in (server_cert, server_key):
            give(path, server.account)
        ca_bundle = root / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_bundle))
        # TLS or nothing: a plain TCP connection is rejected outright.
        server.hba_file.write_text(
            "hostssl all all 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 reject\n"
        )
        port = free_port()
        server.start(
            "127.0.0.1",
            port,
            {
                **THROWAWAY_SETTINGS,
                "ssl": "on",
                "ssl_cert_file": str(server_cert),
                "ssl_key_file": str(server_key),
            },
        )
        try:
            yield TlsPostgres(port=port, ca_bundle=ca_bundle)
        finally:
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
