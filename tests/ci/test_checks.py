"""Lint and test: the Make targets on PostgreSQL 16 and Redis 7, dependencies cached."""

import anyio
import dagger
import pytest
from cloudmetrics_ci import CloudmetricsCi, checks

from tests.ci.graph import Plan, images
from tests.support.make_plan import planned_commands

BUILDERS = {"lint": checks.lint_container, "test": checks.test_container}


@pytest.fixture(params=sorted(BUILDERS))
def check(request: pytest.FixtureRequest, source: dagger.Directory) -> tuple[str, Plan]:
    name: str = request.param
    return name, Plan(BUILDERS[name](source))


def test_runs_the_make_target_last(check: tuple[str, Plan]) -> None:
    target, plan = check
    assert plan.execs[-1] == ["make", "--old-file=.venv/.installed", target]


@pytest.mark.parametrize("target", ["lint", "test"])
def test_make_target_exists_and_skips_the_install_given_the_venv_stamp(target: str) -> None:
    # With the stamp counted as old, as the container's `--old-file` makes it, Make plans the
    # target's own commands and no install of .venv (the image installed the lock already).
    commands = planned_commands(target)
    assert commands
    assert not [command for command in commands if "requirements/dev.txt" in command]
    assert not [
        command for command in commands if command.endswith("venv --quiet --python python3 .venv")
    ]


def test_binds_postgres_16_and_redis_7(check: tuple[str, Plan]) -> None:
    _, plan = check
    bindings = plan.bindings
    assert set(bindings) == {"postgres", "redis"}
    assert images(bindings["postgres"].obj) == {images_of_one(bindings["postgres"])}
    assert images_of_one(bindings["postgres"]).startswith("postgres:16.")
    assert images_of_one(bindings["redis"]).startswith("redis:7.")
    assert plan.env["TEST_POSTGRES_URL"] == "postgresql://postgres@postgres:5432/postgres"
    assert plan.env["TEST_REDIS_URL"] == "redis://redis:6379/0"


def images_of_one(service: Plan) -> str:
    (address,) = images(service.obj)
    return address


def test_services_run_their_image_entrypoints(check: tuple[str, Plan]) -> None:
    _, plan = check
    for service in plan.bindings.values():
        (as_service,) = service.calls("asService")
        assert as_service.args.get("useEntrypoint") is True


def test_postgres_needs_no_password(check: tuple[str, Plan]) -> None:
    _, plan = check
    postgres = plan.bindings["postgres"]
    assert postgres.env["POSTGRES_HOST_AUTH_METHOD"] == "trust"
    assert "POSTGRES_PASSWORD" not in postgres.env


def test_dev_lock_is_installed_before_the_source_is_copied(check: tuple[str, Plan]) -> None:
    _, plan = check
    synced_at = plan.exec_position("uv", "pip", "sync")
    copied = [
        f.args["path"] for f in plan.fields[:synced_at] if f.name in {"withFile", "withDirectory"}
    ]
    # uv and the dev lock only: any source before the sync reinstalls on every edit.
    assert set(copied) == {
        "/usr/local/bin/uv",
        "/usr/local/bin/uvx",
        "/usr/local/bin/node",
        "/usr/local/lib/node_modules/npm",
        "/src/requirements/dev.txt",
    }
    lock = plan.position("withFile", path="/src/requirements/dev.txt")
    synced = plan.exec_position("uv", "pip", "sync")
    source_copied = plan.position("withDirectory", path="/src")
    editable = plan.exec_position("uv", "pip", "install")
    assert lock < synced < source_copied < editable
    assert plan.execs[-2][-2:] == ["-e", "."]


def test_tool_caches_are_named_volumes(check: tuple[str, Plan]) -> None:
    _, plan = check
    # pyright[nodejs] brings Node.js as a wheel: pyright keeps no cache of its own.
    assert plan.cache_mounts == {
        "/var/cache/apt": "cloudmetrics-apt-archives",
        "/var/lib/apt/lists": "cloudmetrics-apt-lists",
        "/root/.cache/uv": "cloudmetrics-uv",
        "/root/.npm": "cloudmetrics-npm",
    }


def test_every_image_is_pinned(check: tuple[str, Plan]) -> None:
    _, plan = check
    for address in images(plan.obj):
        assert ":" in address, address
        assert not address.endswith(":latest"), address


async def test_ci_runs_lint_and_test_side_by_side(
    module: CloudmetricsCi, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[str] = []
    both_started = anyio.Event()

    async def rendezvous(container: dagger.Container) -> str:
        # Each leaf waits until the other has started: run one after the other,
        # they would never meet and the guard below would fail the test.
        target = Plan(container).execs[-1][-1]
        started.append(target)
        if len(started) == 2:
            both_started.set()
        with anyio.fail_after(10):
            await both_started.wait()
        return f"{target} passed"

    monkeypatch.setattr(dagger.Container, "stdout", rendezvous)
    output = await module.ci()
    assert sorted(started) == ["lint", "test"]
    assert output == "== lint\nlint passed\n== test\ntest passed"


async def test_ci_fails_when_either_check_fails(
    module: CloudmetricsCi, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def failing_test(container: dagger.Container) -> str:
        target = Plan(container).execs[-1][-1]
        if target == "test":
            raise dagger.DaggerError("make test exited with 2")
        return "lint passed"

    monkeypatch.setattr(dagger.Container, "stdout", failing_test)
    with pytest.RaisesGroup(dagger.DaggerError):
        await module.ci()


def test_node_20_and_npm_come_from_the_pinned_node_image(check: tuple[str, Plan]) -> None:
    # make test/lint build and check web/ (npm ci, esbuild, ESLint): package.json wants node >= 20.
    _, plan = check
    node = plan.fields[plan.position("withFile", path="/usr/local/bin/node")]
    assert images(node.args["source"]) == {"node:20.20.2-bookworm-slim"}
    assert plan.exec_position("ln", "-sf") < plan.position("withDirectory", path="/src")
    assert plan.execs[
        plan.execs.index(
            ["ln", "-sf", "/usr/local/lib/node_modules/npm/bin/npm-cli.js", "/usr/local/bin/npm"]
        )
    ]
