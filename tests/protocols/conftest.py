"""The protocol tests' fixtures: the API's app and keys, and the stack of real peers."""

from __future__ import annotations

from collections.abc import Generator

import pytest

from cloudmetrics.settings import Settings

# The API tests' app, keys and clients: the protocols are endpoints of the same app.
from tests.api.conftest import anonymous_client, api_key, client, settings
from tests.protocols.peers import Peers, running_peers
from tests.support.databases import DatabaseFactory
from tests.support.identity import IssuedKey, issue_key

__all__ = ["anonymous_client", "api_key", "client", "settings"]


@pytest.fixture(scope="module")
async def module_database(database_factory: DatabaseFactory) -> tuple[str, IssuedKey]:
    """A migrated database of the module's own and a read and write key of it."""
    url = await database_factory.create_migrated(Settings().migrations_dir)
    return url, await issue_key(url, "protocols")


@pytest.fixture(scope="module")
def peers(module_database: tuple[str, IssuedKey], redis_url: str) -> Generator[Peers]:
    url, key = module_database
    with running_peers(url, redis_url, key.text) as running:
        yield running
