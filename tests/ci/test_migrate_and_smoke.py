"""`migrate` and `smoke`: CLI commands run from the service image, secrets kept secret."""

import pytest
from cloudmetrics_ci import CloudmetricsCi
from cloudmetrics_ci.freshness import RUN_ID_VARIABLE
from cloudmetrics_ci.migrate import (
    MigrationDirection,
    MigrationTargetError,
    migrate_command,
    migration_container,
)
from cloudmetrics_ci.smoke import smoke_container
from dagger import dag

from tests.ci.graph import Plan, plain_values

DATABASE_URL = "postgresql://app:s3cret@db.internal:5432/cloudmetrics"


def migration(module: CloudmetricsCi, direction: MigrationDirection, target: str | None) -> Plan:
    secret = dag.set_secret("database-url", DATABASE_URL)
    return Plan(migration_container(module.build(), secret, direction, target, "run-1"))


def test_migrate_up_to_a_target(module: CloudmetricsCi) -> None:
    plan = migration(module, MigrationDirection.up, "0003")
    assert plan.execs[-1] == ["cloudmetrics", "migrate", "up", "--to", "0003"]


def test_down_to_a_target() -> None:
    assert migrate_command(MigrationDirection.down, "0001") == [
        "cloudmetrics",
        "migrate",
        "down",
        "--to",
        "0001",
    ]


@pytest.mark.parametrize(
    "direction", [MigrationDirection.redo, MigrationDirection.status, MigrationDirection.verify]
)
def test_directions_without_a_target_refuse_one(direction: MigrationDirection) -> None:
    with pytest.raises(MigrationTargetError, match=direction.value):
        migrate_command(direction, "0003")


def test_every_direction_maps_to_its_subcommand() -> None:
    for direction in MigrationDirection:
        assert migrate_command(direction, None) == ["cloudmetrics", "migrate", direction.value]


def test_database_url_is_a_secret_variable_never_a_plain_value(module: CloudmetricsCi) -> None:
    plan = migration(module, MigrationDirection.down, None)
    assert set(plan.secret_variables) == {"DATABASE_URL"}
    assert "DATABASE_URL" not in plan.env
    assert not any(DATABASE_URL in value for value in plain_values(plan.obj))
    assert plan.position("withSecretVariable") < plan.exec_position("cloudmetrics", "migrate")


def test_migration_reruns_on_every_invocation(module: CloudmetricsCi) -> None:
    plan = migration(module, MigrationDirection.status, None)
    assert plan.env[RUN_ID_VARIABLE] == "run-1"
    assert plan.position("withEnvVariable", name=RUN_ID_VARIABLE) < plan.exec_position(
        "cloudmetrics", "migrate"
    )


def test_smoke_runs_the_cli_against_the_url(module: CloudmetricsCi) -> None:
    plan = Plan(smoke_container(module.build(), "https://dev.example.com", "run-2"))
    assert plan.execs[-1] == ["cloudmetrics", "smoke", "--url", "https://dev.example.com"]
    checked = smoke_container(module.build(), "https://x", "run-2", expect_release="abc1234")
    assert Plan(checked).execs[-1][-2:] == ["--expect-release", "abc1234"]
    assert plan.env[RUN_ID_VARIABLE] == "run-2"
    assert plan.base_image.startswith("python:3.11.")
