"""What the sign-in and key management endpoints accept and answer (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from cloudmetrics.identity.principal import Scope
from cloudmetrics.identity.users import Role


class SignIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(max_length=254)]
    password: Annotated[str, msgspec.Meta(max_length=1024)]


class ProjectRole(msgspec.Struct, rename="camel", frozen=True):
    name: str
    role: Role


class SessionView(msgspec.Struct, rename="camel", frozen=True):
    signed_in: bool
    # Echo it as `X-CSRFToken` (scripts) or `_csrf_token` (forms) on every unsafe request.
    csrf_token: str | None
    email: str | None = None
    projects: list[ProjectRole] = msgspec.field(default_factory=list[ProjectRole])


class NewKey(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    scopes: Annotated[list[Scope], msgspec.Meta(min_length=1, max_length=2)]
    name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    expires_in_days: Annotated[int, msgspec.Meta(ge=1, le=3650)] | None = None


class KeyView(msgspec.Struct, rename="camel", frozen=True):
    id: str
    name: str
    scopes: list[Scope]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class CreatedKeyView(msgspec.Struct, rename="camel", frozen=True):
    # Shown once: the service keeps only its digest.
    key: str
    details: KeyView
