"""One-line error descriptions, shared by the CLI, the migration runner and the start-up waits."""

from __future__ import annotations

from cloudmetrics.errors import describe_error, first_line


def test_a_multi_line_driver_message_keeps_its_first_line() -> None:
    error = ConnectionError('  connection refused\nDETAIL:  host "db" port 5432\nHINT: retry ')

    assert first_line(error) == "connection refused"
    assert describe_error(error) == "ConnectionError: connection refused"


def test_an_empty_message_leaves_the_class_name() -> None:
    assert first_line(TimeoutError()) == ""
    assert describe_error(TimeoutError()) == "TimeoutError"
