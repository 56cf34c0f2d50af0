"""Where Influx clients put the API key, read as the bearer credential our keys use.

InfluxDB 2 clients (Telegraf's influxdb_v2 output, the client libraries) send
`Authorization: Token <token>`; InfluxDB 1 clients send `u` and `p` query parameters or basic
auth. Our API key goes where the token or the password goes; the user name is ignored. The key
in a query string is accepted because v1 clients know no other way, and the service's access
log records paths without their query strings.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from litestar.connection import ASGIConnection


def influx_credential(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("token", "bearer") and value.strip():
        return f"Bearer {value.strip()}"
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return header
        return f"Bearer {decoded.partition(':')[2]}"
    password = connection.query_params.get("p")
    if password:
        return f"Bearer {password}"
    return header or None
