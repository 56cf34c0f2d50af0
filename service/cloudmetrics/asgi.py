"""ASGI entry point for the server: settings from the environment, read when a worker starts."""

from __future__ import annotations

import gc

from litestar import Litestar

from cloudmetrics.app import create_app
from cloudmetrics.settings import Settings


def app_from_environment() -> Litestar:
    app = create_app(Settings.from_environ())
    # Everything imported and built so far lives as long as the worker. Freezing it keeps the
    # cyclic garbage collector from walking those objects again on every full collection.
    gc.freeze()
    return app
