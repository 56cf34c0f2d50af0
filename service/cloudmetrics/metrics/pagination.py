"""Opaque cursors for the metric list: the last name of a page, base64url-encoded.

Opaque so clients pass them back untouched and the encoding can change without breaking them.
"""

from __future__ import annotations

import base64
import binascii

from cloudmetrics.errors import InvalidRequest
from cloudmetrics.metrics.rules import is_metric_name

CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,300}$"


def encode_cursor(last_name: str) -> str:
    return base64.urlsafe_b64encode(last_name.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str:
    """The name a page starts after; "" (before every name) when there is no cursor."""
    if cursor is None:
        return ""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        name = base64.urlsafe_b64decode(padded.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        name = ""
    if not is_metric_name(name):
        raise InvalidRequest("cursor is not one this API handed out")
    return name
