"""Just enough of IAM's policy evaluation to ask "may this role do X to Y?" offline.

An explicit Deny wins over any Allow; `*` in an action or resource matches any run of
characters (slashes included) and `?` any one character, as IAM's wildcards do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from tests.infra.reading import as_list


def matches(pattern: str, value: str) -> bool:
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, value, flags=re.IGNORECASE if ":" not in value else 0) is not None


def _applies(statement: Mapping[str, Any], action: str, resource: str) -> bool:
    actions = as_list(statement.get("Action", []))
    resources = as_list(statement.get("Resource", []))
    return any(matches(a, action) for a in actions) and any(matches(r, resource) for r in resources)


def denied(statements: Iterable[Mapping[str, Any]], action: str, resource: str) -> bool:
    return any(s["Effect"] == "Deny" and _applies(s, action, resource) for s in statements)


def allowed(statements: Iterable[Mapping[str, Any]], action: str, resource: str) -> bool:
    """Allowed by these statements alone (an explicit Deny among them wins)."""
    listed = list(statements)
    return not denied(listed, action, resource) and any(
        s["Effect"] == "Allow" and _applies(s, action, resource) for s in listed
    )
