"""Splitting SQL into statements, so that a failure can name the statement and its line.

A small lexer, not a parser: it knows enough of PostgreSQL's lexical rules (quoted strings,
E'' strings, quoted identifiers, dollar quoting, line and nested block comments) to find the
semicolons that end statements. SQL-standard function bodies (``BEGIN ATOMIC ... END``) contain
bare semicolons and are not supported: write function bodies with dollar quoting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$")


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    # 1-based line of the statement's first character within the text it was split from.
    line: int


def split_statements(sql: str) -> list[Statement]:
    """The statements of ``sql`` in order; comment-only fragments are dropped."""
    statements: list[Statement] = []
    start = 0
    index = 0
    length = len(sql)
    while index < length:
        char = sql[index]
        if char == "-" and sql.startswith("--", index):
            newline = sql.find("\n", index)
            index = length if newline == -1 else newline + 1
        elif char == "/" and sql.startswith("/*", index):
            index = _skip_block_comment(sql, index)
        elif char == "'":
            index = _skip_string(sql, index, backslash_escapes=_is_escape_string(sql, index))
        elif char == '"':
            index = _skip_quoted(sql, index, '"')
        elif char == "$" and not _continues_identifier(sql, index):
            match = _DOLLAR_TAG.match(sql, index)
            if match is None:
                index += 1
            else:
                closing = sql.find(match.group(), match.end())
                index = length if closing == -1 else closing + len(match.group())
        elif char == ";":
            _append(statements, sql, start, index + 1)
            start = index = index + 1
        else:
            index += 1
    _append(statements, sql, start, length)
    return statements


def _append(statements: list[Statement], sql: str, start: int, end: int) -> None:
    start = _skip_leading_comments(sql, start, end)
    fragment = sql[start:end]
    if not _has_code(fragment):
        return
    line = sql.count("\n", 0, start) + 1
    statements.append(Statement(fragment.strip(), line))


def _skip_leading_comments(sql: str, start: int, end: int) -> int:
    """Where the statement's code begins: its line is the one an error should name."""
    while start < end:
        if sql[start].isspace():
            start += 1
        elif sql.startswith("--", start):
            newline = sql.find("\n", start)
            start = end if newline == -1 else newline + 1
        elif sql.startswith("/*", start):
            start = _skip_block_comment(sql, start)
        else:
            break
    return min(start, end)


def _has_code(fragment: str) -> bool:
    without_comments = re.sub(r"--[^\n]*", "", fragment)
    without_comments = re.sub(r"/\*.*?\*/", "", without_comments, flags=re.DOTALL)
    return bool(without_comments.strip(" \t\r\n;"))


def _skip_block_comment(sql: str, index: int) -> int:
    depth = 0
    while index < len(sql):
        if sql.startswith("/*", index):
            depth += 1
            index += 2
        elif sql.startswith("*/", index):
            depth -= 1
            index += 2
            if depth == 0:
                return index
        else:
            index += 1
    return index


def _skip_string(sql: str, index: int, *, backslash_escapes: bool) -> int:
    index += 1
    while index < len(sql):
        char = sql[index]
        if backslash_escapes and char == "\\":
            index += 2
        elif char == "'":
            if sql.startswith("''", index):
                index += 2
            else:
                return index + 1
        else:
            index += 1
    return index


def _skip_quoted(sql: str, index: int, quote: str) -> int:
    index += 1
    while index < len(sql):
        if sql[index] == quote:
            if sql.startswith(quote * 2, index):
                index += 2
                continue
            return index + 1
        index += 1
    return index


def _is_escape_string(sql: str, index: int) -> bool:
    """True for E'...' strings, where backslash escapes apply."""
    return index >= 1 and sql[index - 1] in "eE" and not _continues_identifier(sql, index - 1)


def _continues_identifier(sql: str, index: int) -> bool:
    return index >= 1 and (sql[index - 1].isalnum() or sql[index - 1] in "_$")
