"""Settings from the environment: safe defaults, and one clear line for a bad value."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cloudmetrics.cli import main
from cloudmetrics.settings import Settings, SettingsError


def test_defaults_need_no_configuration() -> None:
    settings = Settings.from_environ({})

    assert settings.database.url == "postgresql://postgres@127.0.0.1:5432/cloudmetrics"
    assert settings.cache.url == "redis://127.0.0.1:6379/0"
    assert (settings.server.host, settings.server.port, settings.server.workers) == (
        "127.0.0.1",
        8000,
        1,
    )
    assert settings.server.request_body_timeout == 20.0


def test_environment_overrides_each_group() -> None:
    settings = Settings.from_environ(
        {
            "DATABASE_URL": "postgresql://app@db.internal:5432/metrics",
            "DATABASE_POOL_MAX_SIZE": "7",
            "DATABASE_STATEMENT_CACHE_SIZE": "0",
            "REDIS_URL": "rediss://cache.internal:6379/0",
            "PORT": "9000",
            "WEB_CONCURRENCY": "4",
            "LOG_LEVEL": "DEBUG",
            "RELEASE_ID": "deadbeef",
            "REQUEST_BODY_TIMEOUT": "7.5",
        }
    )

    assert settings.database.url == "postgresql://app@db.internal:5432/metrics"
    assert settings.database.pool_max_size == 7
    assert settings.database.statement_cache_size == 0
    assert settings.cache.url == "rediss://cache.internal:6379/0"
    assert (settings.server.port, settings.server.workers) == (9000, 4)
    assert settings.log.level == "DEBUG"
    assert settings.release_id == "deadbeef"
    assert settings.server.request_body_timeout == 7.5


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"PORT": "eighty"}, "invalid PORT: Expected `int`"),
        ({"PORT": "70000"}, "invalid PORT"),
        ({"WEB_CONCURRENCY": "0"}, "invalid WEB_CONCURRENCY"),
        ({"DATABASE_URL": "mysql://db/x"}, "invalid DATABASE_URL: must start with"),
        ({"DATABASE_URL": "postgresql://u:changeme@db/x"}, "placeholder"),
        ({"DATABASE_URL": "postgresql://u@db:notaport/x"}, "DATABASE_URL: port 'notaport'"),
        ({"DATABASE_URL": "postgresql://u@h1:5432,h2:99999/x"}, "DATABASE_URL: port '99999'"),
        ({"REDIS_URL": "redis://cache:63a79/0"}, "REDIS_URL: port '63a79'"),
        ({"REDIS_URL": "http://cache"}, "invalid REDIS_URL"),
        ({"LOG_LEVEL": "LOUD"}, "invalid LOG_LEVEL"),
        ({"DATABASE_ACQUIRE_TIMEOUT": "-1"}, "invalid DATABASE_ACQUIRE_TIMEOUT"),
        ({"REQUEST_BODY_TIMEOUT": "0"}, "invalid REQUEST_BODY_TIMEOUT"),
        ({"REQUEST_BODY_TIMEOUT": "301"}, "invalid REQUEST_BODY_TIMEOUT"),
        ({"REQUEST_BODY_TIMEOUT": "soon"}, "invalid REQUEST_BODY_TIMEOUT"),
    ],
)
def test_invalid_values_are_refused_with_the_variable_named(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message) as caught:
        Settings.from_environ(environ)

    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u@db/x",
        "postgresql://u:p@db:6432/x",
        "postgresql://u@h1:5432,h2/x",
        "postgresql://u@[::1]:5432/x",
        "postgresql://u@[::1]/x",
        "postgresql:///x?host=/run",
    ],
)
def test_database_urls_with_valid_ports_are_accepted(url: str) -> None:
    assert Settings.from_environ({"DATABASE_URL": url}).database.url == url


def test_migrate_stops_with_one_line_on_a_port_that_is_not_a_number() -> None:
    result = CliRunner().invoke(
        main, ["migrate", "status"], env={"DATABASE_URL": "postgresql://u@127.0.0.1:notaport/x"}
    )

    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: invalid DATABASE_URL: port 'notaport' is not a number from 1 to 65535"
    )


@pytest.mark.parametrize("written", ["info", "INFO", "Info"])
def test_log_level_is_read_in_any_case(written: str) -> None:
    assert Settings.from_environ({"LOG_LEVEL": written}).log.level == "INFO"


def test_serve_stops_with_one_line_on_a_bad_value() -> None:
    result = CliRunner().invoke(main, ["serve"], env={"PORT": "eighty"})

    assert result.exit_code == 1
    assert result.output.strip() == "Error: invalid PORT: Expected `int`, got `str`"
