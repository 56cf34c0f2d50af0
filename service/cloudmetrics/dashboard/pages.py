"""The dashboard's pages: sign-in and out, the metric list, a metric's chart, the API keys.

Every handler reads its input, calls one domain function (the metrics operations or the
identity functions behind `Accounts`) and renders a template. Forms post and redirect (303),
so a reload never repeats an action; only a new key's page answers its POST directly, because
the key must be shown once and never stored where a redirect could fetch it again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Router, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Response, Template
from litestar.types import Middleware

from cloudmetrics.dashboard.accounts import Accounts, SignInRefused, Viewer
from cloudmetrics.dashboard.buckets import chart_island, lines_of
from cloudmetrics.dashboard.chart_svg import chart_geometry
from cloudmetrics.dashboard.form_words import check_prefix, check_tag_filters
from cloudmetrics.dashboard.rendering import page
from cloudmetrics.dashboard.time_range import (
    AGGREGATES,
    PRESETS,
    MetricView,
    data_interval,
    parse_view,
)
from cloudmetrics.errors import InvalidRequest, NotFound
from cloudmetrics.http.compression import page_compression
from cloudmetrics.metrics import operations
from cloudmetrics.metrics.models import GroupedSeries, MetricPage, MetricTags, Series
from cloudmetrics.resources import AppResources

AnyRequest = Request[Any, Any, Any]
METRICS_PER_PAGE = 50
KEY_EXPIRY_DAYS = (30, 90, 365)


class SignInRequired(Exception):
    """No one is signed in: the page answers with a redirect to the sign-in page."""


def _accounts(state: State) -> Accounts:
    return state.dashboard_accounts


async def _signed_in(request: AnyRequest, state: State) -> Viewer:
    viewer = await _accounts(state).viewer(request)
    if viewer is None:
        raise SignInRequired
    return viewer


def _to_sign_in(_: AnyRequest, __: Exception) -> Response[Any]:
    return Redirect("/", status_code=303)


def _owners_only(viewer: Viewer) -> Template:
    """A member (not an owner) asked for a key page: a 403 page, not a problem document."""
    return page(
        "problem.html.jinja",
        viewer=viewer,
        status_code=403,
        title="Owners only",
        detail="Only the project's owners manage its API keys.",
    )


@get("/", name="dashboard:home")
async def home(request: AnyRequest, state: State) -> Template | Redirect:
    if await _accounts(state).viewer(request) is not None:
        return Redirect("/metrics", status_code=303)
    return page("sign_in.html.jinja", viewer=None, error=None, notice=None, email=None)


@post("/sign-in", name="dashboard:sign-in")
async def sign_in(
    request: AnyRequest,
    state: State,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Template | Redirect:
    email = data.get("email", "").strip()
    try:
        await _accounts(state).sign_in(request, email, data.get("password", ""))
    except SignInRefused as refused:
        return page(
            "sign_in.html.jinja",
            viewer=None,
            status_code=refused.status_code,
            error=str(refused),
            notice=None,
            email=email,
        )
    return Redirect("/metrics", status_code=303)


@post("/sign-out", name="dashboard:sign-out")
async def sign_out(request: AnyRequest, state: State) -> Template:
    await _accounts(state).sign_out(request)
    return page(
        "sign_in.html.jinja", viewer=None, error=None, notice="You are signed out.", email=None
    )


@get("/metrics", name="dashboard:metrics")
async def metrics(
    request: AnyRequest,
    state: State,
    resources: AppResources,
    prefix: FromQuery[str] = "",
    cursor: FromQuery[str | None] = None,
) -> Template:
    viewer = await _signed_in(request, state)
    listing: MetricPage | None = None
    error = None
    try:
        check_prefix(prefix.strip())
        listing = await operations.list_metrics(
            resources,
            viewer.project_id,
            prefix=prefix.strip(),
            cursor=cursor,
            limit=METRICS_PER_PAGE,
        )
    except InvalidRequest as invalid:
        error = f"That search cannot be run: {invalid.detail}"
    return page(
        "metrics.html.jinja",
        viewer=viewer,
        section="metrics",
        status_code=400 if error else 200,
        page=listing,
        prefix=prefix,
        error=error,
    )


@get("/metrics/{name:str}", name="dashboard:metric")
async def metric(
    request: AnyRequest,
    state: State,
    resources: AppResources,
    name: FromPath[str],
    preset: Annotated[str | None, QueryParameter(name="range")] = None,
    start: FromQuery[str | None] = None,
    end: FromQuery[str | None] = None,
    agg: FromQuery[str | None] = None,
    tags: Annotated[list[str] | None, QueryParameter(name="tag")] = None,
    by: FromQuery[str] = "",
) -> Template:
    viewer = await _signed_in(request, state)
    tag_filters = [tag.strip() for tag in tags or () if tag.strip()]
    aggregate = agg if agg in AGGREGATES else "avg"
    group_by = by.strip()

    def preset_url(name_of_preset: str) -> str:
        query = [("range", name_of_preset), ("agg", aggregate)]
        query += [("tag", tag) for tag in tag_filters]
        query += [("by", group_by)] if group_by else []
        return f"{request.url.path}?{urlencode(query)}"

    context: dict[str, Any] = {
        "name": name,
        "presets": list(PRESETS),
        "aggregates": AGGREGATES,
        "agg": aggregate,
        "tags": tag_filters,
        "by": group_by,
        "known_tags": MetricTags(metric=name, tags=[]),
        "preset_url": preset_url,
        "view": None,
        "error": None,
        # What the visitor typed, shown again when it cannot be used.
        "start_input": start or "",
        "end_input": end or "",
    }

    def view_of(at_least: timedelta = timedelta(0)) -> MetricView:
        return parse_view(
            preset=preset,
            start=start,
            end=end,
            agg=agg,
            tags=tag_filters,
            max_buckets=resources.settings.query.max_buckets,
            max_tags=resources.settings.ingest.max_tags,
            at_least=at_least,
        )

    async def read(view: MetricView) -> Series | GroupedSeries:
        if group_by:
            return await operations.read_grouped_series(
                resources, viewer.project_id, name, view.query, group_by
            )
        return await operations.read_series(resources, viewer.project_id, name, view.query)

    try:
        check_tag_filters(tag_filters)
        view = view_of()
        context["view"] = view
        # The keys and values the filter box suggests and the group-by list offers; also
        # where an unknown metric is found out.
        context["known_tags"] = await operations.metric_tags(resources, viewer.project_id, name)
        answer = await read(view)
        # Data sparser than the step: ask again at the data's own interval, so the chart
        # draws a line through its points, not a dot between empty buckets.
        interval = data_interval(
            [[bucket.value is not None for bucket in line.buckets] for line in lines_of(answer)],
            view.query.step,
        )
        if interval > view.query.step:
            view = view_of(at_least=interval)
            answer = await read(view)
        context["view"] = view
    except NotFound:
        return page(
            "problem.html.jinja",
            viewer=viewer,
            section="metrics",
            status_code=404,
            title="No such metric",
            detail=f"This project has no metric named “{name}”.",
        )
    except InvalidRequest as invalid:
        context["error"] = invalid.detail
        return page(
            "metric.html.jinja", viewer=viewer, section="metrics", status_code=400, **context
        )
    lines = lines_of(answer)
    context.update(
        lines=lines,
        buckets=[bucket.start for bucket in lines[0].buckets] if lines else [],
        filled=sum(line.filled for line in lines),
        chart=chart_geometry(lines),
        island=chart_island(answer, lines),
    )
    return page("metric.html.jinja", viewer=viewer, section="metrics", **context)


async def _keys_page(
    request: AnyRequest, state: State, viewer: Viewer, *, status_code: int = 200, **context: object
) -> Template:
    keys = await _accounts(state).list_keys(request, viewer)
    context.setdefault("created", None)
    context.setdefault("created_secret", None)
    context.setdefault("error", None)
    return page(
        "keys.html.jinja",
        viewer=viewer,
        section="keys",
        status_code=status_code,
        keys=keys,
        **context,
    )


@get("/keys", name="dashboard:keys")
async def keys(request: AnyRequest, state: State) -> Template:
    viewer = await _signed_in(request, state)
    if not viewer.is_owner:
        return _owners_only(viewer)
    return await _keys_page(request, state, viewer)


@post("/keys", name="dashboard:create-key")
async def create_key(
    request: AnyRequest,
    state: State,
) -> Template:
    viewer = await _signed_in(request, state)
    if not viewer.is_owner:
        return _owners_only(viewer)
    form = await request.form()
    name = str(form.get("name", "")).strip()
    scopes = sorted({str(scope) for scope in form.getall("scope", [])})
    expiry = str(form.get("expires_in_days", ""))
    problem = _key_form_problem(name, scopes, expiry)
    if problem:
        return await _keys_page(request, state, viewer, status_code=400, error=problem)
    expires_at = datetime.now(UTC) + timedelta(days=int(expiry)) if expiry else None
    created, secret = await _accounts(state).create_key(
        request, viewer, name=name, scopes=scopes, expires_at=expires_at
    )
    return await _keys_page(
        request, state, viewer, status_code=201, created=created, created_secret=secret
    )


def _key_form_problem(name: str, scopes: list[str], expiry: str) -> str | None:
    if not 1 <= len(name) <= 100:
        return "Give the key a name of 1 to 100 characters."
    if not scopes or not set(scopes) <= {"read", "write"}:
        return "Choose at least one scope: read, write or both."
    if expiry and (not expiry.isdigit() or int(expiry) not in KEY_EXPIRY_DAYS):
        return "Choose an expiry from the list."
    return None


@post("/keys/{key_id:str}/revoke", name="dashboard:revoke-key")
async def revoke_key(
    request: AnyRequest, state: State, key_id: FromPath[str]
) -> Template | Redirect:
    viewer = await _signed_in(request, state)
    if not viewer.is_owner:
        return _owners_only(viewer)
    form = await request.form()
    if form.get("confirm") != "yes":
        # Revoking cannot be undone: the first POST asks, the second (confirm=yes) revokes.
        # A form, not a script's confirm(): it works without JavaScript and under the CSP.
        keys = await _accounts(state).list_keys(request, viewer)
        key = next((key for key in keys if key.id == key_id and key.revoked_at is None), None)
        if key is None:
            return await _keys_page(
                request, state, viewer, status_code=404, error="No active key has that id."
            )
        return page("revoke_key.html.jinja", viewer=viewer, section="keys", key=key)
    await _accounts(state).revoke_key(request, viewer, key_id)
    return Redirect("/keys", status_code=303)


def dashboard_router(middleware: Sequence[Middleware]) -> Router:
    """``middleware`` is identity's Sessions.middleware: the session, then CSRF on every form."""
    handlers: dict[int | type[Exception], Callable[[AnyRequest, Exception], Response[Any]]] = {
        SignInRequired: _to_sign_in
    }
    return Router(
        path="/",
        route_handlers=[home, sign_in, sign_out, metrics, metric, keys, create_key, revoke_key],
        exception_handlers=handlers,
        middleware=[*middleware, page_compression()],
        include_in_schema=False,
    )
