"""Programs the suite runs from Debian's packages (Prometheus, node_exporter), installed with
apt-get when missing, one installer at a time across the suite's workers.

A machine without apt-get, or where the install fails, gets a failure that names the package.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path

INSTALL_LOCK = Path(tempfile.gettempdir()) / "cloudmetrics-debian-install.lock"


class ProgramUnavailable(RuntimeError):
    pass


def ensure_program(program: Path, package: str) -> Path:
    """``program``, installed from Debian's ``package`` first if it is missing."""
    if program.exists():
        return program
    with _one_installer_at_a_time():
        if not program.exists():
            _install(package)
    if not program.exists():
        raise ProgramUnavailable(f"installed Debian's {package!r} but {program} is still missing")
    return program


@contextmanager
def _one_installer_at_a_time() -> Generator[None]:
    with INSTALL_LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _install(package: str) -> None:
    apt_get = shutil.which("apt-get")
    if apt_get is None:
        raise ProgramUnavailable(f"the test needs Debian's {package!r} and there is no apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        [apt_get, "update", "-q"],
        [
            apt_get,
            "-o",
            "DPkg::Lock::Timeout=600",
            "install",
            "-y",
            "-q",
            "--no-install-recommends",
            package,
        ],
    ):
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise ProgramUnavailable(
                f"`{' '.join(command)}` failed with exit code {result.returncode}; the test "
                f"needs Debian's {package!r}:\n{result.stderr[-2000:]}"
            )
