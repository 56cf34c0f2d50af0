"""The syntax of metric names and tags, shared by ingest and query validation."""

from __future__ import annotations

import re

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.:-]{0,199}$"
# Tag keys may not contain ':' because a query filter is written `tag=key:value`.
TAG_KEY_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$"
TAG_VALUE_MAX_LENGTH = 256
# A prefix filter is the start of a name: the name's characters, possibly empty.
PREFIX_PATTERN = r"^[A-Za-z0-9_.:-]{0,200}$"

_NAME = re.compile(NAME_PATTERN)
_TAG_KEY = re.compile(TAG_KEY_PATTERN)
_PREFIX = re.compile(PREFIX_PATTERN)


def is_metric_name(value: str) -> bool:
    # fullmatch: `$` alone would accept a trailing newline.
    return _NAME.fullmatch(value) is not None


def is_prefix(value: str) -> bool:
    return _PREFIX.fullmatch(value) is not None


def tag_key_problem(key: str) -> str | None:
    if _TAG_KEY.fullmatch(key) is None:
        return f"tag key {key[:70]!r} must match {TAG_KEY_PATTERN}"
    return None


def tag_value_problem(key: str, value: object) -> str | None:
    if not isinstance(value, str):
        return f"tag {key!r} must have a string value"
    if not 1 <= len(value) <= TAG_VALUE_MAX_LENGTH:
        return f"tag {key!r} must have a value of 1 to {TAG_VALUE_MAX_LENGTH} characters"
    # PostgreSQL's jsonb cannot hold NUL, and lone surrogates are not text at all.
    if "\x00" in value or not _is_encodable(value):
        return f"tag {key!r} must have a value of printable UTF-8 text without NUL"
    return None


def _is_encodable(value: str) -> bool:
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True
