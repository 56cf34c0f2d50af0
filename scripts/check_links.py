"""Check every link in README.md and docs/ that points inside the repository.

A relative link must name a file or folder that exists, and a `#fragment` on a Markdown file
must name one of its headings, spelled as GitHub spells heading anchors. Links to other sites
are not fetched: `make lint` must give the same answer offline and tomorrow.

Markdown is read with markdown-it-py (a CommonMark parser), not with a regular expression, so
links inside code blocks and inline code are not links, and reference-style links are.

    .venv/bin/python -m scripts.check_links [FILE_OR_FOLDER ...]   # default: README.md docs/
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATHS = ("README.md", "docs")

_parser = MarkdownIt("commonmark").enable("table")


@dataclass(frozen=True)
class BrokenLink:
    source: Path
    line: int
    target: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.target}: {self.reason}"


def markdown_files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        found.extend(sorted(path.rglob("*.md")) if path.is_dir() else [path])
    return found


def _tokens(path: Path) -> list[Token]:
    return _parser.parse(path.read_text(encoding="utf-8"))


def _walk(tokens: list[Token]) -> list[tuple[Token, int]]:
    """Every token with its source line (markdown-it maps blocks to lines, not inline tokens)."""
    out: list[tuple[Token, int]] = []
    for token in tokens:
        line = token.map[0] + 1 if token.map else 0
        out.append((token, line))
        for child in token.children or []:
            out.append((child, line))
            line += child.type in {"softbreak", "hardbreak"}  # a paragraph's next line
    return out


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    """The fragments a link to `path` may name: its headings' anchors (repeats get -1, -2...)."""
    tokens = _tokens(path)
    seen: dict[str, int] = {}
    names: set[str] = set()
    for index, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        inline = tokens[index + 1]
        words = [c for c in inline.children or [] if c.type in {"text", "code_inline"}]
        text = "".join(child.content for child in words)
        base = slug(text)
        count = seen.get(base, 0)
        seen[base] = count + 1
        names.add(base if count == 0 else f"{base}-{count}")
    # Explicit anchors (<a id="...">) written in the page's HTML.
    names.update(re.findall(r'<a\s+(?:id|name)="([^"]+)"', path.read_text(encoding="utf-8")))
    return frozenset(names)


def links(path: Path) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for token, line in _walk(_tokens(path)):
        if token.type == "link_open":
            found.append((line, str(token.attrs.get("href", ""))))
        elif token.type == "image":
            found.append((line, str(token.attrs.get("src", ""))))
    return found


def check_link(source: Path, line: int, target: str, *, root: Path) -> BrokenLink | None:
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:  # another site (https:, mailto:): not fetched
        return None
    if not parts.path and not parts.fragment:
        return BrokenLink(source, line, target, "empty link")
    destination = (source.parent / unquote(parts.path)).resolve() if parts.path else source
    if not destination.exists():
        return BrokenLink(source, line, target, "no such file or folder")
    if root not in destination.parents and destination != root:
        return BrokenLink(source, line, target, "points outside the repository")
    fragment = unquote(parts.fragment)
    if fragment and destination.suffix == ".md" and fragment not in anchors(destination):
        return BrokenLink(source, line, target, f"no heading with the anchor #{fragment}")
    return None


def broken_links(paths: list[Path], *, root: Path = ROOT) -> tuple[int, list[BrokenLink]]:
    """How many links were checked, and the broken ones (a link may not leave `root`)."""
    checked = 0
    broken: list[BrokenLink] = []
    for source in markdown_files(paths):
        for line, target in links(source):
            checked += 1
            problem = check_link(source.resolve(), line, target, root=root.resolve())
            if problem is not None:
                broken.append(problem)
    return checked, broken


def main(argv: list[str]) -> int:
    paths = [Path(arg) for arg in argv] or [ROOT / name for name in DEFAULT_PATHS]
    missing = [path for path in paths if not path.exists()]
    if missing:
        print(f"check_links: no such file or folder: {missing[0]}", file=sys.stderr)
        return 2
    checked, broken = broken_links(paths)
    for problem in broken:
        print(_relative(problem), file=sys.stderr)
    files = len(markdown_files(paths))
    print(f"check_links: {checked} links in {files} files, {len(broken)} broken")
    return 1 if broken else 0


def _relative(problem: BrokenLink) -> BrokenLink:
    try:
        source = problem.source.relative_to(Path.cwd())
    except ValueError:
        source = problem.source
    return BrokenLink(source, problem.line, problem.target, problem.reason)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
