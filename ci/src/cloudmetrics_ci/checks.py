"""Lint and test containers: the same Make targets developers run, on fresh services.

`make lint` and `make test` stay the single definition of what is checked. The
container prepares .venv from requirements/dev.txt before the source arrives
(so a code change reuses that layer) and then tells make to treat the
`.venv/.installed` stamp as up to date instead of bootstrapping uv again.
Before either, it installs the programs the suite runs that PyPI does not
provide (system_packages.py). pyright needs nothing at run time: `pyright[nodejs]`
brings Node.js as a wheel in the dev lock.
"""

from typing import Final

import dagger
from dagger import dag

from cloudmetrics_ci import images
from cloudmetrics_ci.services import with_databases
from cloudmetrics_ci.system_packages import with_system_packages
from cloudmetrics_ci.toolchain import with_node, with_uv

WORKDIR: Final = "/src"
VENV: Final = f"{WORKDIR}/.venv"
MAKE_WITH_PREPARED_VENV: Final = ["make", "--old-file=.venv/.installed"]


def dev_environment(source: dagger.Directory) -> dagger.Container:
    """The repository with the dev lock installed, bound to PostgreSQL 16 and Redis 7."""
    # System packages first: they change least often, so their layer is reused
    # across lock and source changes.
    base = with_system_packages(dag.container().from_(images.PYTHON_TOOLING))
    prepared = (
        with_node(with_uv(base))
        .with_workdir(WORKDIR)
        .with_exec(["uv", "venv", "--python", "/usr/local/bin/python3", VENV])
        # Dependency layer: the dev lock only.
        .with_file(f"{WORKDIR}/requirements/dev.txt", source.file("requirements/dev.txt"))
        .with_exec(["uv", "pip", "sync", "--python", f"{VENV}/bin/python", "requirements/dev.txt"])
        # Source layer.
        .with_directory(WORKDIR, source)
        .with_exec(
            ["uv", "pip", "install", "--python", f"{VENV}/bin/python", "--no-deps", "-e", "."]
        )
    )
    return with_databases(prepared)


def lint_container(source: dagger.Directory) -> dagger.Container:
    """`make lint`: ruff, ruff format, strict pyright, squawk and zizmor."""
    return dev_environment(source).with_exec([*MAKE_WITH_PREPARED_VENV, "lint"])


def test_container(source: dagger.Directory) -> dagger.Container:
    """`make test`: the whole suite against real PostgreSQL and Redis."""
    return dev_environment(source).with_exec([*MAKE_WITH_PREPARED_VENV, "test"])
