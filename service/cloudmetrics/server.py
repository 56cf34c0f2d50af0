"""Running the app under uvicorn, with a graceful shutdown on SIGTERM.

On SIGTERM uvicorn stops accepting connections, lets in-flight requests finish (up to
GRACEFUL_SHUTDOWN_TIMEOUT), then runs the app's shutdown, which closes the pool and Redis.
"""

from __future__ import annotations

import uvicorn

from cloudmetrics.logs import configure_logging
from cloudmetrics.settings import Settings

APP_FACTORY = "cloudmetrics.asgi:app_from_environment"


def run(settings: Settings, *, app_factory: str = APP_FACTORY) -> None:
    configure_logging(settings.log)
    uvicorn.run(
        app_factory,
        factory=True,
        host=settings.server.host,
        port=settings.server.port,
        workers=settings.server.workers,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        timeout_graceful_shutdown=int(settings.server.graceful_shutdown_timeout),
        # Logging is ours (JSON, with request ids); uvicorn must not reconfigure it.
        log_config=None,
        access_log=False,
        server_header=False,
        # The ALB terminates TLS and sets X-Forwarded-*; believe it only from trusted peers.
        proxy_headers=True,
        forwarded_allow_ips=settings.server.forwarded_allow_ips,
    )
