"""The variables the pipeline hands the service are ones the service accepts.

Every `withEnvVariable` of the service image and of the local stack is fed to
the service's own parser, `Settings.from_environ`: a value it rejects (a log
level in the wrong case, a port that is not a number) fails here instead of at
start-up in a container.
"""

import dagger
import pytest
from cloudmetrics_ci import CloudmetricsCi

from cloudmetrics.settings import ENVIRONMENT, Settings
from tests.ci.graph import Plan

REVISION = "0123456789abcdef0123456789abcdef01234567"


def graphs(module: CloudmetricsCi) -> dict[str, dagger.Container | dagger.Service]:
    return {
        "build": module.build(revision=REVISION),
        "stack": module.stack(revision=REVISION),
    }


@pytest.mark.parametrize("graph", ["build", "stack"])
def test_the_service_accepts_every_variable_the_pipeline_sets(
    module: CloudmetricsCi, graph: str
) -> None:
    environment = Plan(graphs(module)[graph]).env
    # The parser ignores names it does not own (PATH, PYTHONUNBUFFERED, ...).
    assert set(environment) & set(ENVIRONMENT), f"{graph} sets none of the service's variables"

    settings = Settings.from_environ(environment)

    assert settings.release_id == REVISION
    assert settings.server.host == "0.0.0.0"  # noqa: S104 - the value under test
    assert settings.server.port == 8000
    assert settings.migrations_dir == "/app/migrations"


def test_the_stack_spells_the_log_level_as_the_service_does(module: CloudmetricsCi) -> None:
    # Accepted is not enough: the stack is read by people too, and "info" only
    # works because the parser is lenient. It must be the canonical spelling.
    environment = Plan(module.stack(revision=REVISION)).env
    settings = Settings.from_environ(environment)
    assert settings.log.level == environment["LOG_LEVEL"]


def test_the_stack_points_the_service_at_its_backing_services(module: CloudmetricsCi) -> None:
    settings = Settings.from_environ(Plan(module.stack(revision=REVISION)).env)
    assert settings.database.url == "postgresql://postgres@postgres:5432/cloudmetrics"
    assert settings.cache.url == "redis://redis:6379/0"
