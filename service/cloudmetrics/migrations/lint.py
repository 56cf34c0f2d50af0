"""`cloudmetrics migrate lint`: squawk over the up and the down part of every migration.

squawk sees each part as a file of its own, padded with blank lines so that its line numbers
are the original file's; findings are reported against the real file name. Up parts use
`.squawk.toml`; down parts use `.squawk-down.toml`, which also allows the drops a rollback
exists to make. Both live beside the migrations folder and say why each rule is off.
Transactional files are linted with --assume-in-transaction, `no-transaction` files without it
(so squawk asks them for IF NOT EXISTS and CONCURRENTLY).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from cloudmetrics.migrations.errors import MigrationError
from cloudmetrics.migrations.files import Migration, load_migrations

UP_CONFIG = ".squawk.toml"
DOWN_CONFIG = ".squawk-down.toml"


@dataclass(frozen=True, slots=True)
class Finding:
    file: str
    part: str
    line: int
    column: int
    rule: str
    message: str
    help: str | None

    def __str__(self) -> str:
        advice = f" ({self.help})" if self.help else ""
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: [{self.part}] {self.rule}: {self.message}{advice}"


def lint_migrations(
    migrations_dir: str | Path, config_dir: str | Path | None = None
) -> list[Finding]:
    """Every squawk finding in the migrations, in file order (empty when all is well)."""
    folder = Path(migrations_dir)
    configs = Path(config_dir) if config_dir is not None else folder.resolve().parent
    migrations = load_migrations(folder)
    squawk = _squawk_binary()
    findings: list[Finding] = []
    with tempfile.TemporaryDirectory(prefix="cloudmetrics-squawk-") as scratch:
        groups: dict[tuple[str, bool], list[Path]] = {}
        origins: dict[str, tuple[Migration, str]] = {}
        for migration in migrations:
            for part_name, part in (("up", migration.up), ("down", migration.down)):
                if part.is_empty:
                    continue
                copy = Path(scratch) / f"{migration.path.stem}.{part_name}.sql"
                copy.write_text("\n" * (part.first_line - 1) + part.sql, encoding="utf-8")
                groups.setdefault((part_name, migration.transactional), []).append(copy)
                origins[copy.name] = (migration, part_name)
        for (part_name, transactional), paths in sorted(groups.items()):
            config = configs / (UP_CONFIG if part_name == "up" else DOWN_CONFIG)
            if not config.is_file():
                raise MigrationError(f"squawk configuration {config} is missing")
            for raw in _run_squawk(squawk, config, paths, transactional=transactional):
                migration, part = origins[Path(str(raw["file"])).name]
                findings.append(
                    Finding(
                        file=str(migration.path),
                        part=part,
                        # squawk's JSON counts lines and columns from 0.
                        line=int(raw["line"]) + 1,
                        column=int(raw["column"]) + 1,
                        rule=str(raw["rule_name"]),
                        message=str(raw["message"]),
                        help=str(raw["help"]) if raw.get("help") else None,
                    )
                )
    return sorted(findings, key=lambda finding: (finding.file, finding.part != "up", finding.line))


def _squawk_binary() -> str:
    beside_python = Path(sys.executable).parent / "squawk"
    found = str(beside_python) if beside_python.is_file() else shutil.which("squawk")
    if found is None:
        raise MigrationError(
            "squawk is not installed: it comes with the dev dependencies (make install)"
        )
    return found


def _run_squawk(
    squawk: str, config: Path, paths: list[Path], *, transactional: bool
) -> list[dict[str, Any]]:
    transaction_flag = "--assume-in-transaction" if transactional else "--no-assume-in-transaction"
    command = [squawk, "--config", str(config), "--reporter", "json", transaction_flag]
    completed = subprocess.run(  # noqa: S603 - a fixed binary and our own file names
        [*command, *map(str, paths)], capture_output=True, text=True, check=False
    )
    try:
        parsed: Any = json.loads(completed.stdout or "[]")
    except json.JSONDecodeError:
        parsed = None
    if completed.returncode not in (0, 1) or not isinstance(parsed, list):
        detail = (completed.stderr or completed.stdout).strip().splitlines()
        raise MigrationError(f"squawk failed: {detail[0] if detail else completed.returncode}")
    return [cast("dict[str, Any]", item) for item in cast("list[Any]", parsed)]
