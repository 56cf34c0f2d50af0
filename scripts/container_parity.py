"""Container parity: run a check container's work natively, the way the Dagger engine runs it.

    .venv/bin/python scripts/container_parity.py test    # or: lint

No container engine exists on our machines, so `dagger call test` cannot run here. This
runs the same work under the same conditions instead, read from the lazy graph that
`ci/` builds (`checks.test_container` / `checks.lint_container`):

- the source exactly as the module's `Source` ignore list uploads it (no `.git`, no `.venv`);
- every `withEnvVariable`, `withWorkdir`, `withFile`, `withDirectory` and `withExec` after the
  system-package layer, in the graph's order, in a clean environment (HOME, PATH, LANG of the
  image, plus the graph's variables), at the graph's paths (`/src`, `/usr/local/bin/python3`);
- the bound services (PostgreSQL, Redis) reachable *only* under their aliases, in a private
  network namespace (`unshare --net --mount`) with loopback up, its own /etc/hosts naming
  each alias on 127.0.0.x, a throwaway PostgreSQL cluster (initdb/pg_ctl) and a redis-server
  bound there. Nothing leaves that loopback; the machine's own servers are unreachable.

What the machine provides instead of the image: the system packages of the graph's
`apt-get install` (installed on the host first when missing; the PostgreSQL client follows the
throwaway server's major version, as the image's follows its service's), Python 3.11 at
/usr/local/bin/python3 and uv at /usr/local/bin/uv (bind-mounted there), and uv's cache (the
`cloudmetrics-uv` volume's stand-in; the namespace has no network, so uv runs offline from it).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))
from scripts.parity import graph_work, namespace  # noqa: E402

CHECKS = ("test", "lint")


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[1] == "--inside":
        return namespace.run(json.loads(Path(argv[2]).read_text()))
    if len(argv) != 2 or argv[1] not in CHECKS:
        print(f"usage: {argv[0]} {'|'.join(CHECKS)}", file=sys.stderr)
        return 2
    return run_outside(argv[1])


def run_outside(check: str) -> int:
    started = time.monotonic()
    work = graph_work.read(check)
    missing = graph_work.missing_packages(work.packages, namespace.POSTGRES_MAJOR)
    if missing:
        print(f"parity: installing what the {check} container installs: {' '.join(missing)}")
        subprocess.run(
            ["apt-get", "install", "--yes", "--no-install-recommends", *missing], check=True
        )
    with tempfile.TemporaryDirectory(prefix="cloudmetrics-parity-") as run_dir_name:
        run_dir = Path(run_dir_name)
        run_dir.chmod(0o755)  # the throwaway PostgreSQL runs as the postgres user
        graph_work.upload(REPOSITORY, run_dir / "upload", work.ignore)
        created = [Path(p) for p in work.mount_points if _make_mount_point(Path(p))]
        spec: dict[str, Any] = {
            "check": check,
            "run_dir": str(run_dir),
            "operations": work.operations,
            "mount_points": work.mount_points,
            "uv": str(_uv()),
            "python_prefix": sys.base_prefix,
        }
        (run_dir / "spec.json").write_text(json.dumps(spec))
        try:
            completed = subprocess.run(
                [
                    "unshare",
                    "--net",
                    "--mount",
                    "--propagation",
                    "private",
                    "--",
                    sys.executable,
                    __file__,
                    "--inside",
                    str(run_dir / "spec.json"),
                ],
                check=False,
            )
        finally:
            for path in created:
                # Another parity run may be using it as its mount point.
                with contextlib.suppress(OSError):
                    path.rmdir()
    verdict = "passed" if completed.returncode == 0 else f"FAILED ({completed.returncode})"
    print(f"parity: {check} {verdict} in {time.monotonic() - started:.0f}s")
    return completed.returncode


def _make_mount_point(path: Path) -> bool:
    """An empty directory to bind the container's path over; True when this run made it."""
    if path.exists():
        return False
    path.mkdir(parents=True)
    return True


def _uv() -> Path:
    found = REPOSITORY / ".tools" / "bin" / "uv"
    if found.exists():
        return found
    on_path = shutil.which("uv")
    if on_path is None:
        raise SystemExit("parity: uv not found; run `make install` first")
    return Path(on_path)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
