"""The link checker `make lint` runs over README.md and docs/ finds what it claims to find."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from scripts.check_links import ROOT, broken_links, slug


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_repository_docs_have_no_broken_link() -> None:
    checked, broken = broken_links([ROOT / "README.md", ROOT / "docs"])
    assert [str(problem) for problem in broken] == []
    assert checked > 50  # the checker read the links, it did not skip the files


def test_a_missing_file_an_unknown_anchor_and_a_reference_link_are_reported(
    tmp_path: Path,
) -> None:
    _write(tmp_path / "docs" / "other.md", "# Other\n\n## Set-up, step by step\n")
    page = _write(
        tmp_path / "docs" / "page.md",
        "# Page\n\n"
        "[fine](other.md#set-up-step-by-step) [here](#page) [folder](.)\n"
        "[gone](missing.md) [anchor](other.md#setup)\n\n"
        "[by reference][ref]\n\n"
        "[ref]: ../nowhere.md\n",
    )
    _, broken = broken_links([page], root=tmp_path)
    assert [(problem.line, problem.target) for problem in broken] == [
        (4, "missing.md"),
        (4, "other.md#setup"),
        (6, "../nowhere.md"),
    ]


def test_links_in_code_are_not_links_and_other_sites_are_not_fetched(tmp_path: Path) -> None:
    page = _write(
        tmp_path / "page.md",
        "`[a](gone.md)`\n\n```\n[b](gone.md)\n```\n\n[site](https://example.invalid/x)\n",
    )
    checked, broken = broken_links([page], root=tmp_path)
    assert (checked, broken) == (1, [])


def test_a_link_may_not_leave_the_repository(tmp_path: Path) -> None:
    _write(tmp_path / "outside.md", "# Outside\n")
    page = _write(tmp_path / "repo" / "page.md", "[up](../outside.md)\n")
    _, broken = broken_links([page], root=tmp_path / "repo")
    assert [problem.reason for problem in broken] == ["points outside the repository"]


def test_headings_are_slugged_as_github_does() -> None:
    assert slug("Projects and API keys") == "projects-and-api-keys"
    assert slug("`make up` prints: the URL!") == "make-up-prints-the-url"
    assert slug("Content-Encoding") == "content-encoding"


def test_the_command_exits_non_zero_and_names_the_line(tmp_path: Path) -> None:
    _write(tmp_path / "page.md", "# Page\n\nsee [this](gone.md)\n")
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_links.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "page.md:3: gone.md: no such file or folder"
