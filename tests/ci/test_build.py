"""The service image's plan: layers in cache-friendly order, runtime deps only, non-root."""

import re
import tomllib

import dagger
import pytest
from cloudmetrics_ci import CloudmetricsCi
from cloudmetrics_ci.build import RDS_CA_BUNDLE
from cloudmetrics_infra import ssm_parameters

from tests.ci.conftest import REPOSITORY
from tests.ci.graph import Plan, images

REVISION = "0123456789abcdef0123456789abcdef01234567"


def image(module: CloudmetricsCi) -> Plan:
    return Plan(module.build(REVISION))


def builder(module: CloudmetricsCi) -> Plan:
    """The builder stage, reached through the virtualenv the final stage copies."""
    final = image(module)
    venv = final.position("withDirectory", path="/app/.venv")
    return Plan(final.fields[venv].args["source"])


def test_every_image_is_pinned_to_a_version(module: CloudmetricsCi) -> None:
    pulled = images(module.build(REVISION))
    assert pulled, "the build pulls no image at all"
    for address in pulled:
        name, _, tag = address.rpartition(":")
        assert name, address
        assert tag not in {"", "latest"}, address
        assert any(character.isdigit() for character in tag), address


def test_final_stage_starts_from_slim_python_and_builder_brings_uv(module: CloudmetricsCi) -> None:
    assert image(module).base_image.startswith("python:3.11.")
    assert image(module).base_image.endswith("-slim-bookworm")
    assert any(
        address.startswith("ghcr.io/astral-sh/uv:") for address in images(builder(module).obj)
    )


def copies_before(stage: Plan, index: int) -> list[str]:
    """Every path copied into the stage before the call at `index`."""
    return [f.args["path"] for f in stage.fields[:index] if f.name in {"withFile", "withDirectory"}]


def test_dependencies_are_installed_from_the_locks_before_any_source_arrives(
    module: CloudmetricsCi,
) -> None:
    stage = builder(module)
    installed = stage.exec_position("uv", "pip", "sync")
    # Only uv and the lock files: any source here would reinstall every dependency on
    # every code change (a copy of the whole tree as much as a single file).
    assert set(copies_before(stage, installed)) == {
        "/usr/local/bin/uv",
        "/usr/local/bin/uvx",
        "/build/requirements/runtime.txt",
        "/build/requirements/build.txt",
    }
    syncs = [c for c in stage.execs if c[:3] == ["uv", "pip", "sync"]]
    assert sorted(c[-1] for c in syncs) == ["requirements/build.txt", "requirements/runtime.txt"]
    last_sync = max(i for i, f in enumerate(stage.fields) if f.args.get("args") in syncs)
    first_source = min(
        stage.position("withFile", path="/build/pyproject.toml"),
        stage.position("withDirectory", path="/build/service"),
    )
    package_installed = stage.exec_position("uv", "pip", "install")
    assert last_sync < first_source < package_installed
    # The package goes in without re-resolving: the lock already holds its deps.
    assert "--no-deps" in stage.fields[package_installed].args["args"]


def test_the_wheel_is_built_by_the_pinned_build_tools_not_an_isolated_download(
    module: CloudmetricsCi,
) -> None:
    stage = builder(module)
    built = stage.exec_position("/build-tools/bin/hatchling", "build")
    install = stage.fields[stage.exec_position("uv", "pip", "install")].args["args"]
    assert built < stage.exec_position("uv", "pip", "install")
    # From the wheel just built, never from an index (which would build in isolation).
    assert "--no-index" in install
    assert install[install.index("--find-links") + 1] == "/build/dist"


def test_build_tools_are_pinned_in_one_version_everywhere() -> None:
    lock = (REPOSITORY / "requirements" / "build.txt").read_text()
    (pinned,) = re.findall(r"^hatchling==(\S+) ", lock, re.MULTILINE)
    assert "--hash=sha256:" in lock
    project = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())
    assert project["build-system"]["requires"] == [f"hatchling=={pinned}"]


@pytest.mark.parametrize("stage", ["builder", "final"])
def test_both_stages_are_linux_amd64_whatever_the_engine_runs_on(
    module: CloudmetricsCi, stage: str
) -> None:
    plan = builder(module) if stage == "builder" else image(module)
    container = plan.fields[plan.position("container")]
    assert container.args["platform"] == "linux/amd64"
    assert plan.position("container") < plan.position("from")


def test_builder_never_touches_the_dev_lock(module: CloudmetricsCi) -> None:
    stage = builder(module)
    copied = [f.args["path"] for f in stage.fields if f.name in {"withFile", "withDirectory"}]
    assert not any("dev.txt" in path for path in copied)
    assert not any("dev.txt" in arg for command in stage.execs for arg in command)


def test_uv_downloads_are_cached_on_a_named_volume(module: CloudmetricsCi) -> None:
    assert builder(module).cache_mounts == {"/root/.cache/uv": "cloudmetrics-uv"}


def test_final_stage_holds_only_the_environment_the_migrations_and_the_assets(
    module: CloudmetricsCi,
) -> None:
    final = image(module)
    copied = {f.args["path"] for f in final.calls("withDirectory")}
    assert copied == {"/app/.venv", "/app/migrations", "/app/web/dist"}
    assert [f.args["path"] for f in final.calls("withFile")] == [RDS_CA_BUNDLE]
    migrations = final.argument("withDirectory", "source")  # first copy is the venv
    assert migrations.calls("directory")[-1].args["path"] == "/app/.venv"
    migrations_copy = final.fields[final.position("withDirectory", path="/app/migrations")]
    assert Plan(migrations_copy.args["source"]).calls("directory")[-1].args["path"] == "migrations"
    # Nothing is installed in the final stage: no installer, no cache, no compiler.
    assert final.cache_mounts == {}
    for command in final.execs:
        assert command[0] in {"groupadd", "useradd"}, command


def test_the_image_carries_the_rds_ca_bundle_where_the_database_url_points(
    module: CloudmetricsCi,
) -> None:
    """Without the bundle the service refuses DATABASE_URL's sslmode=verify-full at start-up."""
    final = image(module)
    bundle = final.argument("withFile", "source")
    fetched = bundle.calls("http")
    assert [f.args["url"] for f in fetched] == [
        "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
    ]
    assert RDS_CA_BUNDLE == ssm_parameters.RDS_CA_BUNDLE


def test_runtime_lock_holds_no_development_tool() -> None:
    lock = (REPOSITORY / "requirements" / "runtime.txt").read_text()
    pinned = {
        line.split("==")[0].strip().lower()
        for line in lock.splitlines()
        if "==" in line and not line.lstrip().startswith("#")
    }
    assert pinned, "the runtime lock pins nothing"
    for tool in (
        "pytest",
        "pulumi",
        "pulumi-aws",
        "dagger-io",
        "ruff",
        "pyright",
        "mypy",
        "zizmor",
    ):
        assert tool not in pinned, tool


def test_runs_as_a_numeric_non_root_user_set_after_the_last_command(
    module: CloudmetricsCi,
) -> None:
    final = image(module)
    (user,) = final.calls("withUser")
    uid, _, gid = user.args["name"].partition(":")
    assert uid.isdigit(), user.args
    assert gid.isdigit(), user.args
    assert int(uid) != 0
    assert int(gid) != 0
    last_exec = max(i for i, f in enumerate(final.fields) if f.name == "withExec")
    assert final.position("withUser") > last_exec


def test_labels_carry_the_git_revision(module: CloudmetricsCi) -> None:
    labels = image(module).labels
    assert labels["org.opencontainers.image.revision"] == REVISION
    assert image(module).env["RELEASE_ID"] == REVISION


def test_environment_for_a_container(module: CloudmetricsCi) -> None:
    env = image(module).env
    assert env["HOST"] == "0.0.0.0"  # noqa: S104 - the value under test
    assert env["MIGRATIONS_DIR"] == "/app/migrations"
    assert env["PATH"].startswith("/app/.venv/bin:")


def test_health_check_and_default_command_use_the_cli(module: CloudmetricsCi) -> None:
    final = image(module)
    (health,) = final.calls("withDockerHealthcheck")
    assert health.args["args"] == ["cloudmetrics", "healthcheck"]
    (default,) = final.calls("withDefaultArgs")
    assert default.args["args"] == ["cloudmetrics", "serve"]
    assert final.calls("withExposedPort")[0].args["port"] == 8000


def test_build_is_a_lazy_container_for_publish_and_export(module: CloudmetricsCi) -> None:
    built = module.build()
    assert isinstance(built, dagger.Container)
    assert Plan(built).labels["org.opencontainers.image.revision"] == "local"
