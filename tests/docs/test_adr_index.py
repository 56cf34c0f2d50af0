"""docs/README.md's table of decisions is made from the records and kept current by `make lint`."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.adr_index import BEGIN, END, INDEX, ROOT, main, table, with_table

RECORD = "# {n}. {title}\n\nDate: 2026-12-07\n\n## Status\n\n{status}\n\n## Context\n\nWhy.\n"


def _record(folder: Path, number: int, status: str, title: str = "A decision") -> None:
    text = RECORD.format(n=number, title=title, status=status)
    (folder / f"{number:04d}-a-decision.md").write_text(text, encoding="utf-8")


def test_the_committed_table_is_current() -> None:
    text = INDEX.read_text(encoding="utf-8")
    assert with_table(text, table()) == text
    # Every record in docs/adr/ has its row.
    records = sorted((ROOT / "docs" / "adr").glob("[0-9][0-9][0-9][0-9]-*.md"))
    for path in records:
        assert f"](adr/{path.name})" in text


def test_a_row_carries_the_status_paragraph_with_its_links_from_docs(tmp_path: Path) -> None:
    _record(tmp_path, 7, "Superseded by [ADR 9](0009-a-decision.md) (a | b).\n\nMore detail.")
    _record(tmp_path, 9, "Accepted", title="Another")

    rows = table(tmp_path).splitlines()[2:]

    assert rows == [
        "| 7 | [A decision](adr/0007-a-decision.md) | "
        "Superseded by [ADR 9](adr/0009-a-decision.md) (a \\| b) |",
        "| 9 | [Another](adr/0009-a-decision.md) | Accepted |",
    ]


def test_a_record_without_a_status_section_is_named(tmp_path: Path) -> None:
    (tmp_path / "0003-no-status.md").write_text("# 3. No status\n\nStatus: accepted\n")
    with pytest.raises(ValueError, match=r"0003-no-status.md: no '## Status' section"):
        table(tmp_path)


def test_a_stale_table_fails_the_check_and_write_mends_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = tmp_path / "README.md"
    index.write_text(f"# Docs\n\n{BEGIN}\n| ADR | decision | status |\n{END}\n", encoding="utf-8")

    assert main([], index=index) == 1
    assert "scripts/adr_index.py --write" in capsys.readouterr().err
    assert main(["--write"], index=index) == 0
    assert main([], index=index) == 0
    assert "| 1 | [Record architecture decisions]" in index.read_text(encoding="utf-8")
