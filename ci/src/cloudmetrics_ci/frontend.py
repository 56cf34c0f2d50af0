"""The dashboard's front end, built in a Node stage of its own: only its output leaves it.

`npm ci` runs on the lock alone (package.json, package-lock.json, .npmrc) before any source
arrives, so a change to a script or a template reuses the dependency layer. The build reads
the client sources and, for Tailwind's class names, the server's templates; what it writes to
web/dist (fingerprinted files and their manifest) is all the service image takes. No Node,
no node_modules, no npm cache reaches the image.
"""

from typing import Final

import dagger
from dagger import dag

from cloudmetrics_ci import images

BUILD_DIR: Final = "/build"
WEB_DIR: Final = f"{BUILD_DIR}/web"
TEMPLATES: Final = "service/cloudmetrics/dashboard/templates"
NPM_CACHE_VOLUME: Final = "cloudmetrics-npm"
NPM_CACHE_PATH: Final = "/root/.npm"
# The lock pins every package by integrity hash; install scripts stay off (the native binaries
# of esbuild and Tailwind arrive as ordinary packages).
NPM_CI: Final = ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"]
LOCK_FILES: Final = ("package.json", "package-lock.json", ".npmrc")


def frontend_assets(source: dagger.Directory) -> dagger.Directory:
    """web/dist: the built, fingerprinted scripts and stylesheets with their manifest."""
    builder = (
        dag.container()
        .from_(images.NODE)
        .with_mounted_cache(NPM_CACHE_PATH, dag.cache_volume(NPM_CACHE_VOLUME))
        .with_workdir(WEB_DIR)
    )
    for name in LOCK_FILES:
        builder = builder.with_file(f"{WEB_DIR}/{name}", source.file(f"web/{name}"))
    return (
        builder.with_exec(NPM_CI)
        # Source layer: the client, its configuration and the templates Tailwind scans.
        .with_directory(f"{WEB_DIR}/src", source.directory("web/src"))
        .with_file(f"{WEB_DIR}/build.mjs", source.file("web/build.mjs"))
        .with_directory(f"{BUILD_DIR}/{TEMPLATES}", source.directory(TEMPLATES))
        .with_exec(["node", "build.mjs"])
        .directory(f"{WEB_DIR}/dist")
    )
