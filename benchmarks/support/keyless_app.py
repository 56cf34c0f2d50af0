"""The service with API key authentication replaced by a fixed principal.

The baseline of benchmarks/auth_cost.py: everything else (middleware, rate limiting, handlers,
storage) is the real service, so the difference between the two is what authenticating a key
costs. Never served outside that benchmark: it lets any request act for the project.
"""

from __future__ import annotations

import gc
import os
from unittest import mock

from litestar import Litestar

import cloudmetrics.app
from cloudmetrics.identity.key_authentication import KeyAuthenticator
from cloudmetrics.identity.principal import Principal
from cloudmetrics.resources import Resources
from cloudmetrics.settings import Settings


class FixedPrincipal(KeyAuthenticator):
    """Reads no header and no table: every request is the benchmark project's own key."""

    principal: Principal

    async def authenticate(self, authorization: str | None, resources: Resources) -> Principal:
        return self.principal


def create() -> Litestar:
    FixedPrincipal.principal = Principal(
        project_id=int(os.environ["BENCH_PROJECT_ID"]),
        scopes=frozenset({"read", "write"}),
        key_id="0" * 16,
    )
    # create_app builds its authenticator itself; swapping the class for the one call is the
    # smallest change that leaves the rest of the app exactly as the service builds it.
    with mock.patch.object(cloudmetrics.app, "KeyAuthenticator", FixedPrincipal):
        app = cloudmetrics.app.create_app(Settings.from_environ())
    gc.freeze()  # as cloudmetrics.asgi does for the real service
    return app
