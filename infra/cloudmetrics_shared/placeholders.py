"""Recognise values copied from an example and never replaced.

The stack files in the repository hold placeholders where only the people who own the AWS
accounts, the DNS zone and the on-call mailbox know the real values. A placeholder reaching AWS
fails late and confusingly (a preview that cannot find zone Z0..., an ACM certificate for
example.com that never validates, a provider refusing "the wrong account"), so the programs and
`check_stack_config.py` refuse them up front, naming each key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import Enum


class Kind(Enum):
    ACCOUNT_ID = "account id"
    HOSTED_ZONE_ID = "hosted zone id"
    DOMAIN_NAME = "domain name"
    EMAIL = "e-mail address"
    TEXT = "value"


# Account ids AWS's own documentation uses, and the all-one-digit ids people type as filler.
_DOCUMENTATION_ACCOUNTS = frozenset(
    {"123456789012", "012345678901", "111122223333", "444455556666", "777788889999"}
)
# RFC 2606 / RFC 6761: names reserved for examples and tests, never delegated to anyone.
_RESERVED_DOMAINS = ("example.com", "example.net", "example.org")
_RESERVED_SUFFIXES = (".example", ".test", ".invalid", ".localhost")
# Words that mark a value as "fill me in" in any key.
_MARKERS = re.compile(r"placeholder|changeme|change-me|replace|todo|xxxx|<[^>]*>", re.IGNORECASE)
_HOSTED_ZONE_ID = re.compile(r"Z[A-Z0-9]{4,32}")


def problem(kind: Kind, value: object) -> str | None:
    """Why `value` is a placeholder for a `kind` setting, or None if it may be real."""
    text = str(value).strip()
    if _MARKERS.search(text):
        return f"{text!r} is a placeholder"
    if kind is Kind.ACCOUNT_ID and (text in _DOCUMENTATION_ACCOUNTS or len(set(text)) == 1):
        return f"{text!r} is an example account id, not a real one"
    if kind is Kind.HOSTED_ZONE_ID and (
        not _HOSTED_ZONE_ID.fullmatch(text) or "EXAMPLE" in text.upper()
    ):
        return f"{text!r} is not a Route 53 hosted zone id"
    if kind in (Kind.DOMAIN_NAME, Kind.EMAIL) and _reserved(text.rpartition("@")[2]):
        return f"{text!r} is under a domain reserved for examples"
    return None


def problems(values: Mapping[str, object], kinds: Mapping[str, Kind]) -> list[str]:
    """One line per placeholder among `values` (key -> value), each naming its key.

    Keys not in `kinds` are checked for generic markers only; non-string values are skipped.
    """
    found: list[str] = []
    for key, value in values.items():
        if not isinstance(value, str | int):
            continue
        reason = problem(kinds.get(key, Kind.TEXT), value)
        if reason is not None:
            found.append(f"{key}: {reason}")
    return found


def _reserved(domain: str) -> bool:
    name = domain.lower().rstrip(".")
    return name.endswith(_RESERVED_SUFFIXES) or any(
        name == reserved or name.endswith(f".{reserved}") for reserved in _RESERVED_DOMAINS
    )
