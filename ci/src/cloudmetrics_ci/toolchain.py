"""A Python container with uv and its download cache, shared by build and checks."""

from typing import Final

import dagger
from dagger import dag

from cloudmetrics_ci import images

UV_CACHE_VOLUME: Final = "cloudmetrics-uv"
UV_CACHE_PATH: Final = "/root/.cache/uv"
NPM_CACHE_VOLUME: Final = "cloudmetrics-npm"
NPM_CACHE_PATH: Final = "/root/.npm"
NODE_MODULES: Final = "/usr/local/lib/node_modules"


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


def with_node(container: dagger.Container) -> dagger.Container:
    """`container` plus Node.js and npm from the node image, npm's cache on a named volume.

    `make test` and `make lint` build and check web/ (`npm ci`, esbuild, ESLint, tsc).
    """
    node = dag.container().from_(images.NODE)
    return (
        container.with_file("/usr/local/bin/node", node.file("/usr/local/bin/node"))
        .with_directory(f"{NODE_MODULES}/npm", node.directory(f"{NODE_MODULES}/npm"))
        .with_exec(["ln", "-sf", f"{NODE_MODULES}/npm/bin/npm-cli.js", "/usr/local/bin/npm"])
        .with_mounted_cache(NPM_CACHE_PATH, dag.cache_volume(NPM_CACHE_VOLUME))
    )
