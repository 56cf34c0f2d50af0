"""Every database command answers a database that is down, missing or misnamed with one line
and exit code 1, never a traceback. (`keys ensure` runs through the same run_with_connection;
it is left out here because it checks its key's text before it connects.)"""

from __future__ import annotations

import socket

import pytest
from click.testing import CliRunner

from cloudmetrics.cli import main

COMMANDS = [
    ("projects", "create", "acme"),
    ("projects", "budgets", "acme"),
    ("projects", "budgets", "acme", "--series", "10"),
    ("keys", "create", "--project", "acme", "--scope", "read"),
    ("keys", "list", "--project", "acme"),
    ("keys", "revoke", "cm_0123456789abcdef"),
    ("users", "create", "a@acme.test", "--project", "acme", "--password-stdin"),
    ("users", "add", "a@acme.test", "--project", "acme"),
    ("users", "remove", "a@acme.test", "--project", "acme"),
]
STDIN = "correct horse battery staple\n"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(arguments: tuple[str, ...], database_url: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(
        main, list(arguments), env={"DATABASE_URL": database_url}, input=STDIN
    )
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output.strip().splitlines()


@pytest.mark.parametrize("arguments", COMMANDS, ids=" ".join)
def test_postgresql_down_is_one_line_naming_the_address_and_how_to_start_it(
    arguments: tuple[str, ...],
) -> None:
    url = f"postgresql://postgres@127.0.0.1:{_closed_port()}/cloudmetrics"

    code, lines = _run(arguments, url)

    assert code == 1
    assert lines[-1].startswith(f"Error: PostgreSQL is not reachable at {url}"), lines
    assert "start it with" in lines[-1]


@pytest.mark.parametrize("arguments", COMMANDS, ids=" ".join)
def test_a_missing_database_is_one_line_saying_how_to_create_it(
    arguments: tuple[str, ...], database_url: str
) -> None:
    missing = database_url.rsplit("/", 1)[0] + "/no_such_database_here"

    code, lines = _run(arguments, missing)

    assert code == 1
    assert lines[-1].startswith("Error: the database no_such_database_here does not exist"), lines
    assert "cloudmetrics prestart --create-database" in lines[-1]


@pytest.mark.parametrize("arguments", COMMANDS, ids=" ".join)
def test_a_bad_url_is_one_line(arguments: tuple[str, ...]) -> None:
    code, lines = _run(arguments, "postgresql://postgres@127.0.0.1:notaport/x")

    assert code == 1
    assert (
        lines[-1] == "Error: invalid DATABASE_URL: port 'notaport' is not a number from 1 to 65535"
    )
