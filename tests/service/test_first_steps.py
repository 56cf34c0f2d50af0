"""What a newcomer sees from `make up`: plain lines for the address, the first commands, a
generated session secret and a port already taken, never a JSON warning or a buried exit 3."""

from __future__ import annotations

import json
import socket

from click.testing import CliRunner

from cloudmetrics.cli import main
from cloudmetrics.cli.first_steps import LOCAL_SIGN_IN_NOTICE, local_url
from cloudmetrics.settings import ServerSettings
from tests.support.server import running_server


def test_a_port_in_use_is_one_line_naming_it_and_the_way_out(database_url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            main,
            ["serve"],
            env={"HOST": "127.0.0.1", "PORT": str(port), "DATABASE_URL": database_url},
        )

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"Error: port {port} is in use on 127.0.0.1; "
        "stop what listens there or pick another port: PORT=8001 make up"
    ]


def test_an_address_not_on_this_machine_is_one_line_too(database_url: str) -> None:
    result = CliRunner().invoke(
        main,
        ["serve"],
        env={"HOST": "192.0.2.1", "PORT": "8000", "DATABASE_URL": database_url},
    )

    assert result.exit_code == 1
    assert len(result.output.splitlines()) == 1
    assert result.output.startswith("Error: cannot listen on 192.0.2.1:8000: ")


def test_serve_says_where_it_serves_and_that_its_session_secret_is_its_own(
    database_url: str, redis_url: str
) -> None:
    environment = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "SESSION_SECRET": ""}
    with running_server(environment) as served:
        url = served.url
    assert served.process.stdout is not None
    lines = served.process.stdout.read().decode().splitlines()

    # The person's lines come first, in plain text; the logs (JSON) after them.
    assert lines[:2] == [
        f"CloudMetrics serves {url}/ (sign in there; the API's reference is at {url}/schema)",
        LOCAL_SIGN_IN_NOTICE,
    ]
    events = [json.loads(line) for line in lines[2:]]
    assert not [event for event in events if event["level"] in {"warning", "error"}]


def test_a_server_given_its_session_secret_says_nothing_of_it(
    database_url: str, redis_url: str
) -> None:
    secret = "k7Qm2vX9pL4wR8tZ1nB6yC3hJ5dF0gS2"  # 32 characters, not a placeholder
    environment = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "SESSION_SECRET": secret}
    with running_server(environment) as served:
        pass
    assert served.process.stdout is not None
    output = served.process.stdout.read().decode()

    assert output.startswith("CloudMetrics serves ")
    assert "SESSION_SECRET" not in output
    assert "session_secret_generated" not in output


def test_the_browser_address_of_every_interface_is_loopback() -> None:
    assert local_url(ServerSettings(host="0.0.0.0", port=8000)) == "http://127.0.0.1:8000"  # noqa: S104
    assert local_url(ServerSettings(host="::1", port=9000)) == "http://[::1]:9000"
    assert local_url(ServerSettings(host="127.0.0.1", port=8123)) == "http://127.0.0.1:8123"
