"""Headless Chromium from Debian's packages, driven by Playwright, for the browser tests.

Playwright never downloads a browser here: it launches /usr/bin/chromium. If the package is
missing the suite installs it with apt-get (the test machines run as root) and says exactly
what failed if it cannot.
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

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PACKAGES = ("chromium", "chromium-driver")
# The suite runs in several worker processes: one installs while the others wait, since two
# apt-get runs at once fail on dpkg's lock.
INSTALL_LOCK = Path(tempfile.gettempdir()) / "cloudmetrics-chromium-install.lock"

# Headless, no sandbox (root in a container), and nothing that talks to the internet.
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


class ChromiumUnavailable(RuntimeError):
    pass


def ensure_chromium() -> Path:
    """The Chromium binary, installed from Debian's packages when missing."""
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return CHROMIUM
    with _one_installer_at_a_time():
        if CHROMIUM.exists() and CHROMEDRIVER.exists():
            return CHROMIUM
        _install()
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        raise ChromiumUnavailable(f"installed {' '.join(PACKAGES)} but {missing} is still missing")
    return CHROMIUM


@contextmanager
def _one_installer_at_a_time() -> Generator[None]:
    with INSTALL_LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _install() -> None:
    apt_get = shutil.which("apt-get")
    if apt_get is None:
        raise ChromiumUnavailable(
            f"{CHROMIUM} is missing and there is no apt-get to install {' '.join(PACKAGES)}"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        [apt_get, "update", "-q"],
        [apt_get, "install", "-y", "-q", "--no-install-recommends", *PACKAGES],
    ):
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise ChromiumUnavailable(
                f"`{' '.join(command)}` failed with exit code {result.returncode}; the browser "
                f"tests need Debian's {' and '.join(PACKAGES)}:\n{result.stderr[-2000:]}"
            )
