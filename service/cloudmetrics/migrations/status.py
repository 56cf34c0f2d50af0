"""How `migrate status` and `migrate verify` describe a SchemaState to a person."""

from __future__ import annotations

from cloudmetrics.migrations.plan import SchemaState


def summary(state: SchemaState) -> str:
    head = state.head or "no migration"
    return (
        f"at {head}; {len(state.applied)} applied, {len(state.pending)} pending, "
        f"{len(state.drifted)} drifted, {len(state.unknown)} unknown"
    )


def describe(state: SchemaState) -> str:
    rows: list[tuple[str, str, str]] = []
    recorded = {row.id: row for row in state.ledger or []}
    for migration in state.migrations:
        row = recorded.get(migration.id)
        if row is None:
            rows.append(("pending", migration.label, ""))
            continue
        drifted = any(drift.migration.id == migration.id for drift in state.drifted)
        detail = f"applied {row.applied_at:%Y-%m-%d %H:%M:%S%z} in {row.duration_ms:.0f} ms"
        if drifted:
            detail += "; the file changed since (checksum differs)"
        rows.append(("drifted" if drifted else "applied", migration.label, detail))
    for row in state.unknown:
        detail = f"applied {row.applied_at:%Y-%m-%d %H:%M:%S%z}; no such file in this code"
        rows.append(("unknown", f"{row.id}_{row.name}.sql", detail))
    rows.sort(key=lambda item: item[1])
    width = max((len(label) for _, label, _ in rows), default=0)
    lines = [
        f"{state_name:<8} {label:<{width}}  {detail}".rstrip() for state_name, label, detail in rows
    ]
    if state.ledger is None:
        lines.append("the ledger table does not exist yet: no migration was ever applied here")
    lines.append(summary(state))
    return "\n".join(lines)
