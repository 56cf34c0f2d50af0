"""The check containers install make, PostgreSQL 16's programs and Redis before any source.

`make test` runs the pg_dump of its PostgreSQL's major version and starts TLS-only servers
with initdb and pg_ctl (all from /usr/lib/postgresql/<major>/bin, so it must be the
service's), and starts a Redis
Cluster from redis-server and redis-cli; `make lint` and `make test` need make.
"""

import dagger
import pytest
from cloudmetrics_ci import checks, images, system_packages

from tests.ci.graph import Plan

BUILDERS = {"lint": checks.lint_container, "test": checks.test_container}
PGDG_SETUP = "/usr/share/postgresql-common/pgdg/apt.postgresql.org.sh"


@pytest.fixture(params=sorted(BUILDERS))
def plan(request: pytest.FixtureRequest, source: dagger.Directory) -> Plan:
    return Plan(BUILDERS[request.param](source))


def installs(plan: Plan) -> list[tuple[int, list[str]]]:
    """(position, packages) of every `apt-get install`."""
    found: list[tuple[int, list[str]]] = []
    for index, field in enumerate(plan.fields):
        if field.name == "withExec" and field.args["args"][:2] == ["apt-get", "install"]:
            found.append((index, [a for a in field.args["args"][2:] if not a.startswith("-")]))
    return found


def installed_at(plan: Plan, package: str) -> int:
    positions = [index for index, packages in installs(plan) if package in packages]
    assert positions, f"{package} is never installed: {installs(plan)}"
    return positions[0]


@pytest.mark.parametrize("package", ["make", "postgresql-16", "redis-server"])
def test_installs_what_the_suite_runs_before_the_source_is_copied(plan: Plan, package: str) -> None:
    source_copied = plan.position("withDirectory", path="/src")
    lock_copied = plan.position("withFile", path="/src/requirements/dev.txt")
    # Before the lock too: a dependency bump must not reinstall system packages.
    assert installed_at(plan, package) < lock_copied < source_copied


def test_installs_are_non_interactive_and_lean(plan: Plan) -> None:
    for index, _ in installs(plan):
        argv = plan.fields[index].args["args"]
        assert "--yes" in argv or "-y" in argv, argv
        assert "--no-install-recommends" in argv, argv
    assert plan.env["DEBIAN_FRONTEND"] == "noninteractive"


def test_postgres_comes_from_pgdg_after_its_setup(plan: Plan) -> None:
    common = installed_at(plan, "postgresql-common")
    setup = plan.exec_position(PGDG_SETUP, "-y")
    server = installed_at(plan, "postgresql-16")
    assert plan.exec_position("apt-get", "update") < common < setup < server


def test_postgres_server_programs_match_the_postgres_service() -> None:
    # The TLS tests run initdb and pg_ctl: the client package alone has neither.
    assert images.POSTGRES.startswith(f"postgres:{images.POSTGRES_MAJOR}.")
    postgres = [p for p in system_packages.PACKAGES if p.startswith("postgresql-")]
    # One major version only (its server brings its client), so no wrapper can pick another.
    assert postgres == [f"postgresql-{images.POSTGRES_MAJOR}"]


def test_packages_start_no_daemons_at_install_time(plan: Plan) -> None:
    policy = plan.position("withNewFile", path="/usr/sbin/policy-rc.d")
    (field,) = [f for f in plan.calls("withNewFile") if f.args["path"] == "/usr/sbin/policy-rc.d"]
    assert field.args["contents"].splitlines()[-1] == "exit 101"
    assert policy < installed_at(plan, "postgresql-common")


def test_apt_caches_are_locked_named_volumes_mounted_before_apt_runs(plan: Plan) -> None:
    update = plan.exec_position("apt-get", "update")
    for path in ("/var/cache/apt", "/var/lib/apt/lists"):
        mount = plan.position("withMountedCache", path=path)
        assert mount < update, path
        assert plan.fields[mount].args["sharing"] == dagger.CacheSharingMode.LOCKED.value
    # Debian images would otherwise delete every download and leave the cache empty.
    assert plan.exec_position("rm", "-f", "/etc/apt/apt.conf.d/docker-clean") < update


def test_system_packages_come_before_uv(plan: Plan) -> None:
    # uv is bumped more often than the system packages change.
    uv_copied = plan.position("withFile", path="/usr/local/bin/uv")
    assert installed_at(plan, "redis-server") < uv_copied
