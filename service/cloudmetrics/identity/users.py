"""Users, their project memberships and roles, and checking a password at sign-in.

The functions take a connection, so the CLI, the sign-in endpoints and the dashboard's pages
share them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import asyncpg

from cloudmetrics.database import Connection
from cloudmetrics.errors import Conflict, InvalidRequest
from cloudmetrics.identity.password_work import PasswordWork
from cloudmetrics.identity.passwords import WeakPassword, hash_password

Role = Literal["owner", "member"]
ROLES: tuple[Role, ...] = get_args(Role)


@dataclass(frozen=True, slots=True)
class User:
    id: int
    email: str


@dataclass(frozen=True, slots=True)
class Membership:
    project_id: int
    project_name: str
    role: Role


def normalise_email(email: str) -> str:
    cleaned = email.strip().lower()
    local, at, domain = cleaned.partition("@")
    if not at or not local or not domain or " " in cleaned or len(cleaned) > 254:
        raise InvalidRequest(f"not an email address: {email!r}")
    return cleaned


async def create_user(
    connection: Connection, email: str, password: str, *, project_id: int, role: Role
) -> User:
    """A new user who belongs to one project with ``role``."""
    if role not in ROLES:
        raise InvalidRequest(f"unknown role {role!r}: use owner or member")
    address = normalise_email(email)
    try:
        password_hash = hash_password(password)
    except WeakPassword as error:
        raise InvalidRequest(str(error)) from None
    try:
        user_id = await connection.fetchval(
            "INSERT INTO users (email, password_hash) VALUES ($1, $2) RETURNING id",
            address,
            password_hash,
        )
    except asyncpg.UniqueViolationError:
        raise Conflict(f"a user with the email {address} already exists") from None
    await add_membership(connection, user_id, project_id, role)
    return User(id=user_id, email=address)


async def add_membership(connection: Connection, user_id: int, project_id: int, role: Role) -> None:
    await connection.execute(
        """
        INSERT INTO memberships (user_id, project_id, role) VALUES ($1, $2, $3)
        ON CONFLICT (user_id, project_id) DO UPDATE SET role = excluded.role
        """,
        user_id,
        project_id,
        role,
    )


async def authenticate_user(
    connection: Connection, email: str, password: str, *, hashing: PasswordWork
) -> User | None:
    """The user whose email and password these are, or None. As slow for an unknown email.

    The hash is checked in ``hashing``'s threads, never on the event loop (password_work.py).
    """
    row = await connection.fetchrow(
        "SELECT id, email, password_hash FROM users WHERE lower(email) = lower($1)", email.strip()
    )
    stored: str | None = row["password_hash"] if row is not None else None
    if not await hashing.verify(stored, password) or row is None:
        return None
    # The library's parameters may have moved on since this hash was made: upgrade it now that
    # the password is at hand.
    upgraded = await hashing.rehash_if_needed(row["password_hash"], password)
    if upgraded is not None:
        await connection.execute(
            "UPDATE users SET password_hash = $2 WHERE id = $1", row["id"], upgraded
        )
    return User(id=row["id"], email=row["email"])


async def user_by_id(connection: Connection, user_id: int) -> User | None:
    row = await connection.fetchrow("SELECT id, email FROM users WHERE id = $1", user_id)
    return User(id=row["id"], email=row["email"]) if row is not None else None


async def user_projects(connection: Connection, user_id: int) -> list[Membership]:
    """The projects the user belongs to, by name."""
    rows = await connection.fetch(
        """
        SELECT p.id, p.name, m.role FROM memberships m JOIN projects p ON p.id = m.project_id
        WHERE m.user_id = $1 ORDER BY p.name
        """,
        user_id,
    )
    return [Membership(project_id=r["id"], project_name=r["name"], role=r["role"]) for r in rows]


async def membership(connection: Connection, user_id: int, project_name: str) -> Membership | None:
    """The user's membership of the project called ``project_name``; None if they have none
    (or the project does not exist: the two are not told apart)."""
    row = await connection.fetchrow(
        """
        SELECT p.id, p.name, m.role FROM memberships m JOIN projects p ON p.id = m.project_id
        WHERE m.user_id = $1 AND p.name = $2
        """,
        user_id,
        project_name,
    )
    if row is None:
        return None
    return Membership(project_id=row["id"], project_name=row["name"], role=row["role"])
