"""The application factory: the whole service built from a Settings object."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import structlog
from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.types import ControllerRouterHandler

from cloudmetrics.dashboard.accounts import Accounts
from cloudmetrics.dashboard.assets import Assets
from cloudmetrics.dashboard.pages import dashboard_router
from cloudmetrics.dashboard.rendering import template_config
from cloudmetrics.dashboard.schema_docs import LocalSwaggerRenderPlugin
from cloudmetrics.dashboard.session_accounts import SessionAccounts
from cloudmetrics.database import open_pool
from cloudmetrics.health.checks import ReadinessCheck, default_checks
from cloudmetrics.health.probe_connection import ProbeConnection
from cloudmetrics.health.routes import route_handlers as health_routes
from cloudmetrics.http.compression import page_compression
from cloudmetrics.http.methods import allowed_methods, http_methods_middleware
from cloudmetrics.http.problem_details import problem_details_plugin
from cloudmetrics.http.rate_limit import RateLimiting
from cloudmetrics.http.request_body import request_body_deadline_middleware
from cloudmetrics.http.request_context import request_context_middleware
from cloudmetrics.http.security_headers import security_headers_middleware
from cloudmetrics.identity.key_authentication import KeyAuthenticator
from cloudmetrics.identity.middleware import api_key_middleware
from cloudmetrics.identity.password_work import PasswordWork
from cloudmetrics.identity.routes import identity_routers
from cloudmetrics.identity.security import security_components
from cloudmetrics.identity.session_store import STORE_NAME as SESSION_STORE
from cloudmetrics.identity.sessions import Sessions
from cloudmetrics.logs import configure_logging
from cloudmetrics.metrics.routes import metrics_router
from cloudmetrics.protocols.influx.credentials import influx_credential
from cloudmetrics.protocols.influx.routes import influx_router
from cloudmetrics.protocols.otlp.routes import otlp_router
from cloudmetrics.protocols.prometheus.routes import prometheus_router
from cloudmetrics.redis_client import open_redis
from cloudmetrics.resources import STATE_KEY, Resources, provide_resources
from cloudmetrics.settings import Settings

log = structlog.get_logger(__name__)

# Past this, shutdown stops waiting for borrowed connections and closes them.
POOL_CLOSE_TIMEOUT_SECONDS = 10.0


def create_app(
    settings: Settings,
    *,
    readiness_checks: Sequence[ReadinessCheck] | None = None,
    extra_route_handlers: Sequence[ControllerRouterHandler] = (),
    accounts: Accounts | None = None,
) -> Litestar:
    """Build the service. ``extra_route_handlers`` lets tests mount probes of their own."""
    configure_logging(settings.log)

    @asynccontextmanager
    async def resources_lifespan(app: Litestar) -> AsyncGenerator[None]:
        pool = await open_pool(settings.database)
        redis = open_redis(settings.cache)
        probe = ProbeConnection(settings.database)
        password_work = PasswordWork(
            threads=settings.identity.sign_in_hash_threads,
            queue=settings.identity.sign_in_hash_queue,
        )
        app.state[STATE_KEY] = Resources(
            settings=settings, pool=pool, redis=redis, probe=probe, password_work=password_work
        )
        log.info("started", version=settings.version, release_id=settings.release_id)
        try:
            yield
        finally:
            password_work.close()
            await redis.aclose()
            await probe.close()
            try:
                await asyncio.wait_for(pool.close(), POOL_CLOSE_TIMEOUT_SECONDS)
            except TimeoutError:
                pool.terminate()
            log.info("stopped")

    # Only the APIs (/v1 and the protocols' endpoints) need a key and are rate limited: probes
    # and the schema always answer.
    # Authentication runs first, so the limit is counted per key.
    rate_limiting = RateLimiting(settings)
    authenticator = KeyAuthenticator(settings.identity)
    keyed = [api_key_middleware(authenticator), *rate_limiting.middleware]
    sessions = Sessions(settings)
    assets = Assets.load_or_none(Path(settings.assets_dir))
    app = Litestar(
        route_handlers=[
            *health_routes(settings),
            metrics_router(settings, middleware=keyed),
            prometheus_router(settings, middleware=keyed),
            otlp_router(settings, middleware=keyed),
            influx_router(
                settings,
                middleware=[
                    api_key_middleware(authenticator, influx_credential),
                    *rate_limiting.middleware,
                ],
            ),
            *identity_routers(sessions.middleware),
            assets.router(),
            dashboard_router(sessions.middleware),
            *extra_route_handlers,
        ],
        lifespan=[resources_lifespan, rate_limiting.lifespan, sessions.lifespan],
        stores={**rate_limiting.stores, SESSION_STORE: sessions.store},
        # Handlers that need the pool, Redis or the settings declare `resources: Resources`.
        dependencies={"resources": provide_resources},
        state=_initial_state(readiness_checks, accounts),
        template_config=template_config(assets),
        plugins=[problem_details_plugin()],
        openapi_config=OpenAPIConfig(
            title="CloudMetrics API",
            version=settings.version,
            description=(
                "Metric ingest and query. /v1 needs an API key (`Authorization: Bearer <key>`). "
                "Errors are RFC 9457 problem details."
            ),
            # The docs are gzipped like the pages and assets; the API and probes are not.
            openapi_router=Router(
                path="/schema",
                route_handlers=[],
                middleware=[page_compression()],
                include_in_schema=False,
            ),
            components=security_components(),
            render_plugins=[LocalSwaggerRenderPlugin(assets)],
        ),
        # Our middleware logs every request with its id; Litestar's default would log twice.
        logging_config=None,
    )
    # Litestar's `middleware=` runs only for matched routes; wrapping the outermost handler gives
    # 404s and 405s a request id and an access-log line too.
    # The body deadline sits inside the access log and the security headers, so that its 408
    # is logged and dressed like any other answer.
    app.asgi_handler = request_context_middleware(
        security_headers_middleware(
            request_body_deadline_middleware(
                http_methods_middleware(app.asgi_handler, allowed_methods(app.routes)),
                timeout=settings.server.request_body_timeout,
            )
        )
    )
    return app


def _initial_state(
    readiness_checks: Sequence[ReadinessCheck] | None, accounts: Accounts | None
) -> State:
    checks = list(readiness_checks) if readiness_checks is not None else default_checks()
    return State({"readiness_checks": checks, "dashboard_accounts": accounts or SessionAccounts()})


__all__ = ["create_app"]
