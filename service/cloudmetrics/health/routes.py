"""GET /health (liveness) and GET /ready (readiness).

/health checks nothing outside the process: a database blip must not make ECS replace every
task. /ready probes the dependencies and is what the load balancer routes by (docs/adr/0002).
"""

from __future__ import annotations

from litestar import Response, get
from litestar.datastructures import State
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import ResponseSpec
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from cloudmetrics.health.checks import run_checks
from cloudmetrics.health.report import HEALTH_MEDIA_TYPE, HealthReport, worst
from cloudmetrics.resources import AppResources
from cloudmetrics.settings import Settings


def liveness_handler(settings: Settings) -> HTTPRouteHandler:
    """/health answers a report fixed at start-up: the cheapest possible handler (no
    parameters to resolve, nothing to compute), since probes call it all day long."""
    report = HealthReport(
        status="pass",
        version=settings.version,
        release_id=settings.release_id,
        description="liveness",
    )

    @get(
        "/health",
        media_type=HEALTH_MEDIA_TYPE,
        summary="Liveness: the process and its event loop answer",
        tags=["health"],
    )
    async def liveness() -> HealthReport:
        return report

    return liveness


@get(
    "/ready",
    media_type=HEALTH_MEDIA_TYPE,
    summary="Readiness: PostgreSQL, the schema and Redis answer (503 when a check fails)",
    tags=["health"],
    responses={
        503: ResponseSpec(
            data_container=HealthReport,
            media_type=HEALTH_MEDIA_TYPE,
            description="A check failed: the report names it",
            generate_examples=False,
        )
    },
)
async def readiness(state: State, resources: AppResources) -> Response[HealthReport]:
    checks = await run_checks(state.readiness_checks, resources)
    status = worst([entry.status for entries in checks.values() for entry in entries])
    report = HealthReport(
        status=status,
        version=resources.settings.version,
        release_id=resources.settings.release_id,
        description="readiness",
        checks=checks,
    )
    code = HTTP_503_SERVICE_UNAVAILABLE if status == "fail" else HTTP_200_OK
    # Probes must see the current state, never a cached one.
    return Response(report, status_code=code, headers={"Cache-Control": "no-store"})


def route_handlers(settings: Settings) -> list[HTTPRouteHandler]:
    return [liveness_handler(settings), readiness]
