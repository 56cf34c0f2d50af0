"""A Python container with uv and its download cache, shared by build and checks."""

from typing import Final

import dagger
from dagger import dag

from cloudmetrics_ci import images

UV_CACHE_VOLUME: Final = "cloudmetrics-uv"
UV_CACHE_PATH: Final = "/root/.cache/uv"


def python_with_uv(image: str, platform: dagger.Platform | None = None) -> dagger.Container:
    """`image` (for `platform`, default the engine's) plus uv, its wheel cache on a volume."""
    return with_uv(dag.container(platform=platform).from_(image))


def with_uv(container: dagger.Container) -> dagger.Container:
    """`container` (a Python image) plus uv, with uv's wheel cache on a named volume."""
    uv = dag.container().from_(images.UV)
    return (
        container.with_file("/usr/local/bin/uv", uv.file("/uv"))
        .with_file("/usr/local/bin/uvx", uv.file("/uvx"))
        .with_mounted_cache(UV_CACHE_PATH, dag.cache_volume(UV_CACHE_VOLUME))
        # The cache is a mount: copy out of it, since hard links cannot cross it.
        .with_env_variable("UV_LINK_MODE", "copy")
        .with_env_variable("UV_PYTHON_DOWNLOADS", "never")
        .with_env_variable("UV_NO_PROGRESS", "1")
    )
