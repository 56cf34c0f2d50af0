"""ASGI entry point for the server: settings from the environment, read when a worker starts."""

from __future__ import annotations

from litestar import Litestar

from cloudmetrics.app import create_app
from cloudmetrics.settings import Settings


def app_from_environment() -> Litestar:
    return create_app(Settings.from_environ())
