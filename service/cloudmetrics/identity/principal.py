"""What an authenticated request may do, resolved once per request.

Handlers and the metrics domain see only this: a project id and the scopes the credential grants.
They never see the key itself, nor how it was checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Scope = Literal["read", "write"]
SCOPES: tuple[Scope, ...] = get_args(Scope)


@dataclass(frozen=True, slots=True)
class Principal:
    project_id: int
    scopes: frozenset[Scope]
    # The API key's public id: what the rate limit counts and the logs name.
    key_id: str

    def allows(self, scope: Scope) -> bool:
        return scope in self.scopes
