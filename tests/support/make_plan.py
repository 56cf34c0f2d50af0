"""What a Make target would run, as Make itself expands it (`make --dry-run`), so tests assert
on the commands, not on the Makefile's text."""

from __future__ import annotations

import subprocess
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
# Stamps whose recipes (installing) are not what a test asks about.
INSTALL_STAMPS = (".venv/.installed", "web/node_modules/.installed")


def planned_commands(target: str) -> list[str]:
    """The shell lines `make TARGET` would run, prerequisites' installs left out."""
    completed = subprocess.run(
        ["make", "--dry-run", *(f"--old-file={stamp}" for stamp in INSTALL_STAMPS), target],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"make --dry-run {target} failed: {completed.stderr.strip()}")
    return completed.stdout.splitlines()
