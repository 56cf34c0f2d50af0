"""The Jinja2 set-up of the pages: autoescaping, the asset URLs, and private caching."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from litestar.datastructures import CacheControlHeader
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template import TemplateConfig

from cloudmetrics.dashboard.accounts import Viewer
from cloudmetrics.dashboard.assets import Assets

TEMPLATES = Path(__file__).parent / "templates"
# Pages show one person's project: no shared cache may keep them, no browser may reuse them.
PRIVATE = CacheControlHeader(no_store=True)


def template_config(assets: Assets) -> TemplateConfig[JinjaTemplateEngine]:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        # Templates are read once; a deployed service never edits them.
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["asset"] = assets.url  # pyright: ignore[reportArgumentType]
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))


def page(
    template: str,
    *,
    viewer: Viewer | None,
    status_code: int = 200,
    section: str | None = None,
    **context: object,
) -> Template:
    return Template(
        template_name=template,
        context={"viewer": viewer, "section": section, **context},
        status_code=status_code,
        headers={PRIVATE.HEADER_NAME: PRIVATE.to_header()},
    )
