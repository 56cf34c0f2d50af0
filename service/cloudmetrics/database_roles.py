"""The database's own roles: an owner for migrations and maintenance, a service role for DML.

The RDS master user creates them (`cloudmetrics roles ensure`, the migration task's first step)
and nothing else connects as it. The owner owns every object of the schema, so migrations and
`cloudmetrics maintain` (which creates and drops partitions) run as the owner; the service
reads and writes the application's tables and can change nothing else: no DDL, no role changes.
Partitions that ingest needs are made through `ensure_time_partition`, which runs as its owner
(SECURITY DEFINER, migration 0020).

Passwords are set as SCRAM-SHA-256 verifiers computed here, so the password itself never
travels in SQL (nor lands in the server's statement log).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from cloudmetrics.database import Connection

SCRAM_ITERATIONS = 4096
# What the service may do to the application's tables; never TRUNCATE, REFERENCES or TRIGGER.
SERVICE_TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
# The migration runner's ledger: the service reads it (readiness compares it with the image's
# migrations) but must not write it.
LEDGER = "public.schema_migrations"


@dataclass(frozen=True)
class DatabaseRoles:
    owner: str
    service: str

    @classmethod
    def of(cls, database: str) -> DatabaseRoles:
        """The roles of one database, named after it (`cloudmetrics` -> `cloudmetrics_owner`):
        several databases of one server keep theirs apart."""
        return cls(owner=f"{database}_owner", service=f"{database}_service")


def scram_verifier(password: str, *, salt: bytes | None = None) -> str:
    """PostgreSQL's stored form of a SCRAM-SHA-256 password (RFC 5802, RFC 7677):
    SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>. Generated passwords are ASCII,
    which SASLprep leaves unchanged."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, SCRAM_ITERATIONS)
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.digest(salted, b"Server Key", "sha256")

    def b64(value: bytes) -> str:
        return base64.b64encode(value).decode()

    return f"SCRAM-SHA-256${SCRAM_ITERATIONS}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


async def _ensure_login_role(connection: Connection, role: str, password: str) -> None:
    exists = await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
    if not exists:
        await connection.execute(f"CREATE ROLE {_identifier(role)}")
    # Every attribute spelled out, so a role changed by hand is put back.
    await connection.execute(
        f"ALTER ROLE {_identifier(role)} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
        f"NOREPLICATION NOBYPASSRLS INHERIT PASSWORD {_literal(scram_verifier(password))}"
    )


_OWNED_RELATIONS = """
SELECT c.oid::regclass::text AS name, c.relkind::text AS relkind
FROM pg_class AS c
WHERE c.relnamespace = 'public'::regnamespace
  AND c.relowner <> $1::regrole
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
  AND NOT c.relispartition
  -- A sequence that belongs to a column moves with its table.
  AND (c.relkind <> 'S' OR NOT EXISTS (
      SELECT 1 FROM pg_depend AS d
      WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
  ))
ORDER BY c.relkind <> 'p', c.oid
"""
_OWNED_ROUTINES = """
SELECT p.oid::regprocedure::text AS signature, p.prokind::text AS prokind
FROM pg_proc AS p
WHERE p.pronamespace = 'public'::regnamespace AND p.proowner <> $1::regrole
ORDER BY p.oid
"""
_KIND = {"r": "TABLE", "p": "TABLE", "f": "FOREIGN TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW"}
_ROUTINE = {"f": "FUNCTION", "p": "PROCEDURE", "a": "AGGREGATE", "w": "FUNCTION"}


async def _give_schema_to(connection: Connection, owner: str) -> list[str]:
    """Make `owner` the owner of every table, view, sequence and routine of the schema (the
    master owned them while it ran the migrations). A partitioned table takes its partitions
    along. Returns what moved."""
    moved: list[str] = []
    for row in await connection.fetch(_OWNED_RELATIONS, owner):
        kind = "SEQUENCE" if row["relkind"] == "S" else _KIND[row["relkind"]]
        await connection.execute(f"ALTER {kind} {row['name']} OWNER TO {_identifier(owner)}")
        moved.append(row["name"])
    # Partitions: ALTER TABLE on the parent does not cascade to them.
    for row in await connection.fetch(
        "SELECT oid::regclass::text AS name FROM pg_class WHERE relnamespace = "
        "'public'::regnamespace AND relispartition AND relowner <> $1::regrole",
        owner,
    ):
        await connection.execute(f"ALTER TABLE {row['name']} OWNER TO {_identifier(owner)}")
        moved.append(row["name"])
    for row in await connection.fetch(_OWNED_ROUTINES, owner):
        kind = _ROUTINE[row["prokind"]]
        await connection.execute(f"ALTER {kind} {row['signature']} OWNER TO {_identifier(owner)}")
        moved.append(row["signature"])
    return moved


async def ensure_roles(
    connection: Connection, roles: DatabaseRoles, *, owner_password: str, service_password: str
) -> list[str]:
    """Create or correct both roles and their privileges, as the master user, in the caller's
    transaction. Idempotent. Returns the objects whose ownership moved to the owner."""
    database = await connection.fetchval("SELECT current_database()")
    owner, service = _identifier(roles.owner), _identifier(roles.service)
    await _ensure_login_role(connection, roles.owner, owner_password)
    await _ensure_login_role(connection, roles.service, service_password)
    # The master must be able to act as the owner to hand it objects and to set its default
    # privileges (on RDS it only administers the roles it creates).
    await connection.execute(f"GRANT {owner} TO CURRENT_USER")
    await connection.execute(f"GRANT CONNECT ON DATABASE {_identifier(database)} TO {owner}")
    await connection.execute(f"GRANT CONNECT ON DATABASE {_identifier(database)} TO {service}")
    # Only the owner creates in the schema (PostgreSQL before 15 let everyone).
    await connection.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    await connection.execute(f"GRANT USAGE, CREATE ON SCHEMA public TO {owner}")
    await connection.execute(f"GRANT USAGE ON SCHEMA public TO {service}")
    moved = await _give_schema_to(connection, roles.owner)
    await connection.execute(
        f"GRANT {SERVICE_TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA public TO {service}"
    )
    await connection.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {service}")
    # What later migrations create, the service may use the same way.
    await connection.execute(
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        f"GRANT {SERVICE_TABLE_PRIVILEGES} ON TABLES TO {service}"
    )
    await connection.execute(
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {service}"
    )
    if await connection.fetchval("SELECT to_regclass($1)", LEDGER) is not None:
        await connection.execute(f"REVOKE INSERT, UPDATE, DELETE ON {LEDGER} FROM {service}")
    return moved
