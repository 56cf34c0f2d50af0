"""Just enough of IAM's policy evaluation to ask "may this role do X to Y?" offline.

An explicit Deny wins over any Allow; `*` in an action or resource matches any run of
characters (slashes included) and `?` any one character, as IAM's wildcards do. A statement with
`NotResource` applies to every resource it does not list.
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
    if not any(matches(a, action) for a in actions):
        return False
    if "NotResource" in statement:
        return not any(matches(r, resource) for r in as_list(statement["NotResource"]))
    return any(matches(r, resource) for r in as_list(statement.get("Resource", [])))


def denied(statements: Iterable[Mapping[str, Any]], action: str, resource: str) -> bool:
    return any(s["Effect"] == "Deny" and _applies(s, action, resource) for s in statements)


def allowed(statements: Iterable[Mapping[str, Any]], action: str, resource: str) -> bool:
    """Allowed by these statements alone (an explicit Deny among them wins)."""
    listed = list(statements)
    return not denied(listed, action, resource) and any(
        s["Effect"] == "Allow" and _applies(s, action, resource) for s in listed
    )
