"""Stand-in images: for every image the pipeline pins, one built here from Debian's packages.

No image registry is reachable from our machines, so `podman pull` cannot fetch the pinned
images. Each stand-in starts from a Debian bookworm root file system (`mmdebstrap`, imported
once into podman's store) plus what that image's own Dockerfile installs, and is tagged with
the pinned name, so a replayed `from_(name)` finds it. Exact versions where a registry other
than an image registry has them (uv from PyPI's wheel, PostgreSQL 16.2 from PyPI's `pgserver`
wheel, Node.js 20.20.2); every other difference is in `SUBSTITUTIONS`, printed by every replay.

Stand-ins stay in podman's store between runs; each carries a label with its recipe's hash
and is rebuilt only when the recipe changes. The Debian root file system is cached in
`~/.cache/cloudmetrics/replay` (outside the repository).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

REPOSITORY: Final = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPOSITORY / "ci" / "src"))
from cloudmetrics_ci import build, images  # noqa: E402

from scripts.replay.podman import podman, podman_ok  # noqa: E402

CACHE: Final = (
    Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "cloudmetrics" / "replay"
)
BASE: Final = "localhost/cloudmetrics-replay/bookworm:base"
RECIPE_LABEL: Final = "org.cloudmetrics.replay.recipe"
# The machine's CA bundle: a TLS-intercepting proxy sits between it and PyPI, npm and Debian.
HOST_CA: Final = Path("/etc/ssl/certs/ca-certificates.crt")
CONTAINER_CA: Final = "/etc/ssl/certs/replay-host-ca.crt"
NODE_VERSION: Final = "v20.20.2"
SEARCH_PATH: Final = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# The python images' interpreter lives in /usr/local; Debian's in /usr.
PYTHON_LINKS: Final = (
    "ln -s /usr/bin/python3.11 /usr/local/bin/python3.11 && "
    "ln -s python3.11 /usr/local/bin/python3 && ln -s python3.11 /usr/local/bin/python"
)
POSTGRES_ENTRYPOINT: Final = """#!/bin/sh
# The official image's contract, as far as the pipeline uses it: POSTGRES_USER,
# POSTGRES_HOST_AUTH_METHOD=trust, a fresh cluster, listening on every address.
set -eu
export PGDATA=/var/lib/postgresql/data
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  install -d -o postgres -g postgres "$PGDATA"
  setpriv --reuid=postgres --regid=postgres --init-groups initdb --pgdata="$PGDATA" \\
    --username="${POSTGRES_USER:-postgres}" --auth="${POSTGRES_HOST_AUTH_METHOD:-trust}" \\
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  # As the official image does: every address, with the configured method.
  echo "host all all all ${POSTGRES_HOST_AUTH_METHOD:-trust}" >> "$PGDATA/pg_hba.conf"
fi
[ "$#" -gt 0 ] || set -- postgres
[ "$1" = postgres ] && shift && set -- postgres -c listen_addresses=* "$@"
exec setpriv --reuid=postgres --regid=postgres --init-groups "$@" -D "$PGDATA"
"""
# The official image's entrypoint turns protected mode off when no configuration file is
# given: other containers of the network must reach it without a password.
REDIS_ENTRYPOINT: Final = """#!/bin/sh
set -eu
[ "$#" -gt 0 ] || set -- redis-server
if [ "$1" = redis-server ] && [ "${2:-}" = "${2#*.conf}" ]; then
  shift
  set -- redis-server --protected-mode no "$@"
fi
exec "$@"
"""


@dataclass(frozen=True)
class StandIn:
    """How the stand-in for one pinned image is built, and how it differs from it."""

    packages: tuple[str, ...] = ()
    run: tuple[str, ...] = ()
    run_after: tuple[str, ...] = ()  # after the files are copied in
    env: dict[str, str] = field(default_factory=lambda: {})
    files: dict[str, str] = field(default_factory=lambda: {})  # path in image -> build step
    entrypoint: str | None = None
    cmd: tuple[str, ...] = ()
    scratch: bool = False
    differs: str = ""


STAND_INS: Final[dict[str, StandIn]] = {
    images.PYTHON_TOOLING: StandIn(
        # buildpack-deps' tools the suite runs (git, curl); not its compilers.
        packages=("python3", "python3-venv", "git", "curl", "procps", "passwd"),
        run=(PYTHON_LINKS,),
        differs="Debian's CPython 3.11.2 for 3.11.14; no compilers (buildpack-deps has them)",
    ),
    images.PYTHON: StandIn(
        packages=("python3", "python3-venv", "passwd"),
        run=(PYTHON_LINKS,),
        differs="Debian's CPython 3.11.2 for 3.11.14",
    ),
    images.UV: StandIn(
        scratch=True,
        files={"/uv": "uv", "/uvx": "uvx"},
        differs="none: PyPI's uv 0.13.9 wheel holds the same binaries",
    ),
    images.NODE: StandIn(
        packages=("libstdc++6",),
        files={"/usr/local/bin/node": "node", "/usr/local/lib/node_modules/npm": "npm"},
        run_after=("ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm",),
        differs="Node.js 20.20.2 exact; this machine's npm for the image's bundled npm",
    ),
    images.POSTGRES: StandIn(
        packages=("passwd", "locales"),
        run=(
            "groupadd --system postgres && useradd --system --gid postgres "
            "--home-dir /var/lib/postgresql postgres",
        ),
        files={
            "/usr/lib/postgresql/16": "pgserver",
            # The binaries' RPATH is $ORIGIN/../../../pgserver.libs, as in the wheel.
            "/usr/lib/pgserver.libs": "pgserver-libs",
            "/usr/local/bin/docker-entrypoint.sh": "pg-entry",
        },
        entrypoint="/usr/local/bin/docker-entrypoint.sh",
        cmd=("postgres",),
        env={"PATH": f"/usr/lib/postgresql/16/bin:{SEARCH_PATH}"},
        differs="PostgreSQL 16.2 (PyPI's pgserver 0.1.4, built without SSL) for 16.10",
    ),
    images.REDIS: StandIn(
        packages=("redis-server",),
        files={"/usr/local/bin/docker-entrypoint.sh": "redis-entry"},
        entrypoint="/usr/local/bin/docker-entrypoint.sh",
        cmd=("redis-server",),
        differs="Debian's Redis 7.0 for 7.4.5",
    ),
    images.PULUMI: StandIn(
        packages=("python3", "python3-venv", "passwd"),
        run=(PYTHON_LINKS,),
        differs="Debian's CPython 3.11.2; no Pulumi CLI (a download): replays stop before it",
    ),
    images.SKOPEO: StandIn(packages=("skopeo",), differs="Debian's skopeo 1.9.3 for 1.18.0"),
}
# What has no stand-in at all: a graph that pulls one of these cannot be replayed.
WITHOUT_STAND_IN: Final = {
    images.KAFKA: "no Kafka broker is packaged by Debian or PyPI",
    images.AWS_CLI: "AWS itself is not reachable from here",
}
SUBSTITUTIONS: Final = (
    "PGDG's apt repository is unreachable: its setup script is not run, and postgresql-<N> "
    "installs as Debian's postgresql-15 (SSL-built initdb/pg_ctl); pg_dump 16 comes from the "
    "dev lock's pgserver",
    "the machine's CA bundle is mounted at " + CONTAINER_CA + " and named by SSL_CERT_FILE, "
    "NODE_EXTRA_CA_CERTS, PIP_CERT (a TLS-intercepting proxy)",
    "cache volumes and secrets are attached when the container starts, not at their call",
    "Amazon RDS's CA bundle (" + build.RDS_CA_BUNDLE_URL + ") is unreachable from here: "
    "the build gets this machine's CA bundle in its place (a PEM bundle too)",
)
# Files the graphs fetch over HTTPS from hosts this machine cannot reach, and what stands in.
HTTP_STAND_INS: Final = {build.RDS_CA_BUNDLE_URL: HOST_CA}


def table() -> str:
    """The stand-in table, as every replay prints it."""
    lines = ["stand-in images (pinned name: how this machine's differs):"]
    lines += [f"  {name}: {stand_in.differs}" for name, stand_in in STAND_INS.items()]
    lines += [f"  {name}: NO STAND-IN, {why}" for name, why in WITHOUT_STAND_IN.items()]
    lines += ["substitutions:"] + [f"  {line}" for line in SUBSTITUTIONS]
    return "\n".join(lines)


def ensure(name: str) -> None:
    """The stand-in for `name` in podman's store, built or rebuilt if its recipe changed."""
    if name in WITHOUT_STAND_IN:
        raise SystemExit(f"replay: {name} has no stand-in ({WITHOUT_STAND_IN[name]})")
    stand_in = STAND_INS.get(name)
    if stand_in is None:
        raise SystemExit(
            f"replay: {name} is not in the stand-in table (scripts/replay/stand_ins.py)"
        )
    recipe = _containerfile(stand_in)
    # The scripts written into the context are part of the recipe too.
    scripts = POSTGRES_ENTRYPOINT + REDIS_ENTRYPOINT
    digest = hashlib.sha256((recipe + scripts).encode()).hexdigest()[:16]
    if podman_ok("image", "exists", name):
        label = podman(
            "image", "inspect", "--format", f'{{{{index .Labels "{RECIPE_LABEL}"}}}}', name
        )
        if label.strip() == digest:
            return
    if not stand_in.scratch:
        _ensure_base()
    context = CACHE / "contexts" / hashlib.sha256(name.encode()).hexdigest()[:12]
    shutil.rmtree(context, ignore_errors=True)
    context.mkdir(parents=True)
    for _, step in stand_in.files.items():
        _context_file(context, step)
    (context / "Containerfile").write_text(recipe + f'LABEL {RECIPE_LABEL}="{digest}"\n')
    print(f"replay: building the stand-in for {name}", flush=True)
    podman(
        "build",
        "--quiet",
        "--network=host",
        f"--volume={HOST_CA}:{CONTAINER_CA}:ro",
        "--tag",
        name,
        str(context),
        capture=False,
    )


def _containerfile(stand_in: StandIn) -> str:
    lines = ["FROM scratch" if stand_in.scratch else f"FROM {BASE}"]
    if stand_in.packages:
        lines.append(
            "RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install --yes "
            f"--no-install-recommends {' '.join(stand_in.packages)} && rm -rf /var/lib/apt/lists/*"
        )
    lines += [f"RUN {command}" for command in stand_in.run]
    lines += [f"COPY {step} {path}" for path, step in stand_in.files.items()]
    lines += [f"RUN {command}" for command in stand_in.run_after]
    lines += [f'ENV {name}="{value}"' for name, value in stand_in.env.items()]
    if stand_in.entrypoint:
        lines.append(f'ENTRYPOINT ["{stand_in.entrypoint}"]')
    if stand_in.cmd:
        lines.append("CMD [" + ", ".join(f'"{part}"' for part in stand_in.cmd) + "]")
    return "\n".join(lines) + "\n"


def _context_file(context: Path, step: str) -> None:
    """Put what a COPY names into the build context."""
    target = context / step
    if step in {"uv", "uvx"}:
        found = shutil.which(step, path=str(REPOSITORY / ".tools" / "bin")) or shutil.which(step)
        if found is None:
            raise SystemExit("replay: uv not found; run `make install` first")
        shutil.copy2(found, target)
    elif step == "node":
        node = shutil.which("node")
        version = subprocess.run([node or "node", "--version"], capture_output=True, text=True)
        if node is None or version.stdout.strip() != NODE_VERSION:
            raise SystemExit(f"replay: the node stand-in needs Node.js {NODE_VERSION} here")
        shutil.copy2(node, target)
    elif step == "npm":
        npm = Path(shutil.which("npm") or "npm").resolve().parents[1]
        shutil.copytree(npm, target, symlinks=True)
    elif step == "pgserver":
        shutil.copytree(_pgserver() / "pginstall", target, symlinks=True)
    elif step == "pgserver-libs":
        shutil.copytree(_pgserver().with_name("pgserver.libs"), target, symlinks=True)
    elif step == "pg-entry":
        target.write_text(POSTGRES_ENTRYPOINT)
        target.chmod(0o755)
    elif step == "redis-entry":
        target.write_text(REDIS_ENTRYPOINT)
        target.chmod(0o755)
    else:
        raise SystemExit(f"replay: unknown build step {step!r}")


def _pgserver() -> Path:
    """The dev lock's pgserver 0.1.4 package: its wheel's files are already in .venv."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("replay: pgserver (dev lock) is not installed; run `make install`")
    return Path(next(iter(spec.submodule_search_locations)))


def _ensure_base() -> None:
    """Debian bookworm (minbase, CA certificates) in podman's store, from the cached root fs."""
    if podman_ok("image", "exists", BASE):
        return
    tarball = CACHE / "bookworm-minbase.tar"
    if not tarball.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        print("replay: building a Debian bookworm root file system (mmdebstrap)", flush=True)
        partial = tarball.with_suffix(".partial.tar")
        subprocess.run(
            [
                "mmdebstrap",
                "--quiet",
                "--variant=minbase",
                "--include=ca-certificates",
                "bookworm",
                str(partial),
            ],
            check=True,
        )
        partial.rename(tarball)
    podman("import", "--quiet", str(tarball), BASE)


PGDG_SETUP: Final = "/usr/share/postgresql-common/pgdg/apt.postgresql.org.sh"
DEBIAN_POSTGRES: Final = "postgresql-15"


def substituted(argv: list[str]) -> list[str] | None:
    """The command the replay runs for `argv` (None: not run), per SUBSTITUTIONS' first line."""
    if argv and argv[0] == PGDG_SETUP:
        return None
    if argv[:2] == ["apt-get", "install"]:
        return [DEBIAN_POSTGRES if re.fullmatch(r"postgresql-\d+", part) else part for part in argv]
    return argv
