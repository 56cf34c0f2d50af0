"""podman, run with the project's configuration (containers.conf beside this file)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Final

CONTAINERS_CONF: Final = Path(__file__).resolve().with_name("containers.conf")


def environment() -> dict[str, str]:
    return {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF)}


def podman(*args: str, capture: bool = True, stdin: str | None = None) -> str:
    """Run podman; its stdout when `capture`, an error naming the command if it fails."""
    completed = subprocess.run(
        ["podman", *args],
        env=environment(),
        input=stdin,
        capture_output=capture,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        detail = completed.stderr.strip() if capture else "(see above)"
        raise SystemExit(f"replay: podman {' '.join(args[:3])} ... failed: {detail}")
    return completed.stdout if capture else ""


def podman_ok(*args: str) -> bool:
    """Whether a podman query succeeds (image exists, ...)."""
    completed = subprocess.run(
        ["podman", *args], env=environment(), capture_output=True, check=False
    )
    return completed.returncode == 0
