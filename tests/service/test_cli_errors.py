"""Every bad command-line value ends in one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cloudmetrics.cli import main


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["healthcheck", "--timeout", "-1"], "Invalid value for '--timeout'"),
        (["healthcheck", "--url", "http://[::1"], "is not a valid URL"),
        (["healthcheck", "--url", "ftp://example.org/health"], "must be an http:// or https://"),
        (["smoke", "--url", "http://[::1"], "is not a valid URL"),
        (["smoke", "--url", "example.org"], "must be an http:// or https://"),
        (["smoke", "--url", "http://example.org", "--timeout", "0"], "'--timeout'"),
        (["smoke", "--url", "http://example.org", "--retry-delay", "-3"], "'--retry-delay'"),
    ],
)
def test_bad_options_are_usage_errors(arguments: list[str], message: str) -> None:
    result = CliRunner().invoke(main, arguments)

    assert result.exit_code == 2
    assert message in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_healthcheck_with_an_unusable_port_reports_unhealthy() -> None:
    result = CliRunner().invoke(main, ["healthcheck"], env={"PORT": "abc"})

    assert result.exit_code == 1
    assert "unhealthy" in result.output
    assert isinstance(result.exception, SystemExit)
