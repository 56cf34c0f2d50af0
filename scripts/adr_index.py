"""The table of decision records in docs/README.md, made from the records themselves.

Each row is a record's number, its title (linked) and the first paragraph of its Status
section, so the table says what the records say. `make lint` checks the table is current;
after adding or superseding a record, rewrite it:

    .venv/bin/python scripts/adr_index.py --write
"""

from __future__ import annotations

import posixpath
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADR_DIR = ROOT / "docs" / "adr"
INDEX = ROOT / "docs" / "README.md"
BEGIN = "<!-- decisions: made by scripts/adr_index.py --write; do not edit by hand -->"
END = "<!-- end of decisions -->"

_LINK = re.compile(r"\]\(([^)\s]+)\)")


@dataclass(frozen=True)
class Record:
    number: int
    title: str
    file: str
    status: str


def _status(text: str) -> str:
    """The first paragraph of the Status section (a heading `## Status`, then a paragraph)."""
    found = re.search(r"^## Status\s*\n+(.+?)(?:\n\n|\n#|\Z)", text, re.MULTILINE | re.DOTALL)
    if found is None:
        raise ValueError("no '## Status' section")
    # A `|` would end the table's cell.
    return " ".join(found.group(1).split()).rstrip(".").replace("|", "\\|")


def _from_docs(link: str) -> str:
    """A link written in docs/adr/, as docs/README.md must write it."""
    if re.match(r"[a-z]+:|#", link):
        return link
    return posixpath.normpath(posixpath.join("adr", link))


def record(path: Path) -> Record:
    text = path.read_text(encoding="utf-8")
    heading = re.match(r"# (\d+)\. (.+)", text)
    if heading is None:
        raise ValueError(f"{path.name}: the first line must be '# N. Title'")
    try:
        status = _status(text)
    except ValueError as error:
        raise ValueError(f"{path.name}: {error}") from None
    status = _LINK.sub(lambda link: f"]({_from_docs(link.group(1))})", status)
    return Record(int(heading.group(1)), heading.group(2).strip(), path.name, status)


def table(adr_dir: Path = ADR_DIR) -> str:
    rows = [
        f"| {item.number} | [{item.title}](adr/{item.file}) | {item.status} |"
        for item in sorted(map(record, adr_dir.glob("[0-9][0-9][0-9][0-9]-*.md")), key=_number)
    ]
    return "\n".join(["| ADR | decision | status |", "| --- | --- | --- |", *rows])


def _number(item: Record) -> int:
    return item.number


def with_table(index_text: str, new_table: str) -> str:
    start, end = index_text.index(BEGIN) + len(BEGIN), index_text.index(END)
    return f"{index_text[:start]}\n{new_table}\n{index_text[end:]}"


def main(argv: list[str], index: Path = INDEX) -> int:
    current = index.read_text(encoding="utf-8")
    wanted = with_table(current, table())
    if "--write" in argv:
        index.write_text(wanted, encoding="utf-8")
        return 0
    if wanted != current:
        print(
            "adr_index: docs/README.md's table of decisions is not current; "
            "run .venv/bin/python scripts/adr_index.py --write",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
