"""The text of an API key: `cm_<id>_<secret>`, its parsing, and the digest stored for it.

The id (16 hex digits) is public: listings print it and `keys revoke` takes it. The secret is
256 random bits, so a single SHA-256 of the whole key is as good as a slow password hash (there
is nothing to guess) and costs a microsecond per request.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

PREFIX = "cm_"
ID_PATTERN = r"[0-9a-f]{16}"
# token_urlsafe(32): 43 characters of the URL-safe base64 alphabet.
_KEY = re.compile(rf"^{PREFIX}({ID_PATTERN})_([A-Za-z0-9_-]{{43}})$")
_ID = re.compile(rf"^{ID_PATTERN}$")


@dataclass(frozen=True, slots=True)
class KeyText:
    """A key as its holder sees it (``text``), with its public ``id``."""

    id: str
    text: str

    @property
    def digest(self) -> bytes:
        return digest(self.text)


def new_key() -> KeyText:
    key_id = secrets.token_hex(8)
    return KeyText(id=key_id, text=f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}")


def parse_key(text: str) -> KeyText | None:
    """The key, if ``text`` has a key's shape; None for anything else."""
    match = _KEY.match(text)
    return KeyText(id=match.group(1), text=text) if match else None


def is_key_id(text: str) -> bool:
    return _ID.match(text) is not None


def digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()
