"""Naming an error in one line, for CLI messages, logs and problem details.

Driver messages run to several lines (asyncpg adds DETAIL and HINT, sockets add addresses); a
one-line error wants the exception's class and the first line of its message. Standard library
only: the migration runner imports this without loading the web stack.
"""

from __future__ import annotations


def first_line(error: BaseException) -> str:
    """The first line of the error's message, or "" when it has none."""
    return (str(error).strip().splitlines() or [""])[0]


def describe_error(error: BaseException) -> str:
    """``ClassName: first line``, or just the class name when the message is empty."""
    text = first_line(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
