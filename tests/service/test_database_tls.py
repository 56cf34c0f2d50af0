"""The service verifies PostgreSQL's certificate (sslmode=verify-full with a CA bundle), tested
against a throwaway TLS-only PostgreSQL whose certificate comes from a CA the test makes."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
import trustme

from cloudmetrics.database import open_pool
from cloudmetrics.local_servers.programs import LocalServersUnavailable
from cloudmetrics.settings import Settings, SettingsError
from tests.support.suite_servers import SuitePostgres
from tests.support.tls_postgres import TlsPostgres, tls_postgres

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def server(postgres_server: SuitePostgres) -> Iterator[TlsPostgres]:
    try:
        bin_dir = postgres_server.tls_server_bin_dir()
    except LocalServersUnavailable as error:
        pytest.fail(str(error), pytrace=False)
    with tls_postgres(trustme.CA(), bin_dir) as running:
        yield running


@pytest.fixture(scope="module")
def stranger_ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA that did not issue the server's certificate (someone else answering the address)."""
    path = tmp_path_factory.mktemp("stranger") / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return path


async def session_is_encrypted(url: str) -> bool:
    connection = await asyncpg.connect(url, timeout=10)
    try:
        return bool(
            await connection.fetchval("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        )
    finally:
        await connection.close()


async def test_verify_full_connects_to_the_server_its_ca_vouches_for(server: TlsPostgres) -> None:
    assert await session_is_encrypted(server.url())


async def test_verify_full_refuses_a_certificate_from_another_ca(
    server: TlsPostgres, stranger_ca: Path
) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        await session_is_encrypted(server.url(ca=stranger_ca))


async def test_verify_full_refuses_a_certificate_for_another_name(server: TlsPostgres) -> None:
    # The certificate names "localhost"; the same server reached as 127.0.0.1 is not it.
    with pytest.raises(ssl.SSLCertVerificationError):
        await session_is_encrypted(server.url(host="127.0.0.1"))


async def test_require_alone_would_trust_anyone(server: TlsPostgres) -> None:
    # What DATABASE_URL used to say: encrypted, but to whoever answers (no CA to check against).
    assert await session_is_encrypted(server.url_without_ca(sslmode="require"))


async def test_the_service_pool_works_over_verified_tls(server: TlsPostgres) -> None:
    settings = Settings.from_environ({"DATABASE_URL": server.url()})
    pool = await open_pool(settings.database)
    try:
        assert await pool.fetchval("SELECT 1") == 1
    finally:
        await pool.close()


def test_start_up_refuses_verify_full_without_the_ca_bundle(tmp_path: Path) -> None:
    missing = tmp_path / "rds-global-bundle.pem"
    url = f"postgresql://u@db.example.internal/app?sslmode=verify-full&sslrootcert={missing}"
    with pytest.raises(SettingsError, match=r"DATABASE_URL.*rds-global-bundle\.pem"):
        Settings.from_environ({"DATABASE_URL": url})
