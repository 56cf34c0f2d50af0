"""Inside the private network and mount namespace: services on their aliases, then the work.

Runs as the process `unshare --net --mount` started, so every mount here is private to the
run and disappears with it, and the network holds only a loopback nobody else shares.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any, Final

POSTGRES_MAJOR: Final = 15
POSTGRES_BIN: Final = Path(f"/usr/lib/postgresql/{POSTGRES_MAJOR}/bin")
# The python image's search path: /usr/local/bin holds its python3 (and here, uv).
IMAGE_PATH: Final = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
IMAGE_PREFIX: Final = "/usr/local"
# Where the machine's own programs are, outside the image's /usr/local.
HOST_PATH: Final = "/usr/bin:/bin:/usr/sbin:/sbin"
PYTHON_VERSION: Final = "3.11"
# The machine's own servers listen on these sockets too; the container cannot see them.
HOST_SOCKET_DIRECTORIES: Final = ("/run/postgresql", "/var/run/postgresql", "/run/redis")


class Services:
    """The bound services, started on their aliases' addresses, stopped at the end."""

    def __init__(self, run_dir: Path) -> None:
        self._run_dir = run_dir
        self._stops: list[list[str]] = []

    def start(
        self, alias: str, address: str, kind: str, port: int, env: dict[str, str], args: list[str]
    ) -> None:
        print(f"parity> service {alias} ({kind}) on {address}:{port}", flush=True)
        if kind == "postgres":
            self._postgres(address, port, env)
        else:
            self._redis(address, port, args)

    def _postgres(self, address: str, port: int, env: dict[str, str]) -> None:
        if env.get("POSTGRES_HOST_AUTH_METHOD") != "trust":
            raise SystemExit("parity: only a trust-authenticated PostgreSQL service is supported")
        data = self._run_dir / "postgres"
        sockets = self._run_dir / "postgres-sockets"
        for directory in (data, sockets):
            directory.mkdir()
            shutil.chown(directory, "postgres", "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
        _quiet(
            [
                *as_postgres,
                str(POSTGRES_BIN / "initdb"),
                "--pgdata",
                str(data),
                "--auth=trust",
                f"--username={env.get('POSTGRES_USER', 'postgres')}",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]
        )
        # Durability is pointless for a cluster that dies with the run.
        options = (
            f"-c listen_addresses={address} -p {port} -c unix_socket_directories={sockets}"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            # What the log shows when something waits: lock waits and slow statements.
            " -c log_lock_waits=on -c log_min_duration_statement=5000"
        )
        pg_ctl = [*as_postgres, str(POSTGRES_BIN / "pg_ctl"), "--pgdata", str(data)]
        _quiet([*pg_ctl, "--wait", "--log", str(data / "server.log"), "-o", options, "start"])
        self._stops.append([*pg_ctl, "--mode=fast", "--wait", "stop"])

    def _redis(self, address: str, port: int, args: list[str]) -> None:
        # The image's command minus the program name, plus where this one listens.
        _quiet(
            [
                "redis-server",
                *args[1:],
                "--bind",
                address,
                "--port",
                str(port),
                "--daemonize",
                "yes",
                "--dir",
                str(self._run_dir),
                "--logfile",
                str(self._run_dir / f"redis-{port}.log"),
            ]
        )
        ping = ["redis-cli", "-h", address, "-p", str(port), "ping"]
        for _ in range(100):
            if subprocess.run(ping, capture_output=True, check=False).returncode == 0:
                break
            time.sleep(0.1)
        else:
            raise SystemExit(f"parity: redis-server did not answer on {address}:{port}")
        self._stops.append(["redis-cli", "-h", address, "-p", str(port), "shutdown", "nosave"])

    def report(self) -> None:
        """The end of each service's log, for a failed run."""
        for log in sorted(self._run_dir.glob("*/server.log")) + sorted(
            self._run_dir.glob("redis-*.log")
        ):
            lines = log.read_text(errors="replace").splitlines()[-40:]
            print(f"parity> last lines of {log.name}:", *lines, sep="\n", flush=True)

    def stop_all(self) -> None:
        for command in reversed(self._stops):
            subprocess.run(command, capture_output=True, check=False)


def _quiet(command: list[str]) -> None:
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(
            f"parity: {shlex.join(command)} failed:\n{completed.stdout}{completed.stderr}"
        )


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True)


def hosts_file(aliases: list[str]) -> tuple[str, dict[str, str]]:
    """/etc/hosts naming each alias on its own loopback address, and those addresses."""
    addresses = {alias: f"127.0.0.{index}" for index, alias in enumerate(aliases, start=2)}
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    lines += [f"{address}\t{alias}" for alias, address in addresses.items()]
    return "\n".join(lines) + "\n", addresses


def prepare(spec: dict[str, Any], run_dir: Path, aliases: list[str]) -> dict[str, str]:
    """Loopback up, /etc/hosts, hidden host sockets, the image's /usr/local and the workdirs."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    text, addresses = hosts_file(aliases)
    (run_dir / "hosts").write_text(text)
    _mount("--bind", str(run_dir / "hosts"), "/etc/hosts")
    for directory in HOST_SOCKET_DIRECTORIES:
        if Path(directory).is_dir() and not Path(directory).is_symlink():
            _mount("-t", "tmpfs", "tmpfs", directory)
    _image_prefix(run_dir, Path(spec["python_prefix"]), Path(spec["uv"]))
    for index, path in enumerate(spec["mount_points"]):
        empty = run_dir / f"root-{index}"
        empty.mkdir()
        _mount("--bind", str(empty), path)
    return addresses


def _image_prefix(run_dir: Path, python_prefix: Path, uv: Path) -> None:
    """/usr/local as in the python image: the interpreter's prefix, plus uv in its bin.

    The whole prefix, not a symlink to the interpreter: a virtual environment finds its
    standard library by searching upwards from its `home`, and /usr/local/bin/python3 must
    find /usr/local/lib/python3.11 as it does in the image. An overlay on a tmpfs adds uv
    without touching the interpreter's own directory.
    """
    layers = run_dir / "usr-local"
    layers.mkdir()
    _mount("-t", "tmpfs", "tmpfs", str(layers))
    (layers / "upper").mkdir()
    (layers / "work").mkdir()
    options = f"lowerdir={python_prefix},upperdir={layers / 'upper'},workdir={layers / 'work'}"
    _mount("-t", "overlay", "overlay", "-o", options, IMAGE_PREFIX)
    image_bin = Path(IMAGE_PREFIX, "bin")
    for name in ("python3", "python"):
        if not (image_bin / name).exists():
            (image_bin / name).symlink_to(f"python{PYTHON_VERSION}")
    link_uv(image_bin, uv)


def link_uv(image_bin: Path, uv: Path) -> None:
    """uv and uvx in the image's bin, replacing any there: the graph's `withFile` overwrites.

    The interpreter's own bin may hold a uv already (a `pip install uv` into that Python).
    """
    for name in ("uv", "uvx"):
        tool = uv.with_name(name)
        if tool.exists():
            (image_bin / name).unlink(missing_ok=True)
            (image_bin / name).symlink_to(tool)


def base_environment() -> dict[str, str]:
    """The image's own variables; the graph adds the rest."""
    # No network in the namespace: uv and npm install from their caches (the cache
    # volumes' stand-ins), as the container would from its volumes after a first run.
    env = {
        "PATH": IMAGE_PATH,
        "HOME": "/root",
        "LANG": "C.UTF-8",
        "UV_OFFLINE": "1",
        "npm_config_offline": "true",
    }
    # The cache volume's stand-in is wherever this machine keeps uv's cache; a developer
    # may narrow a run with PYTEST_ADDOPTS (`.ci/run` never sets it).
    for name in ("UV_CACHE_DIR", "PYTEST_ADDOPTS"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def run(spec: dict[str, Any]) -> int:
    run_dir = Path(spec["run_dir"])
    operations: list[list[Any]] = spec["operations"]
    aliases = [op[1] for op in operations if op[0] == "service"]
    addresses = prepare(spec, run_dir, aliases)
    services = Services(run_dir)
    pending: list[list[Any]] = []
    env = base_environment()
    workdir = "/"
    try:
        for operation in operations:
            kind, *args = operation
            if kind == "env":
                env[args[0]] = args[1]
            elif kind == "workdir":
                workdir = args[0]
            elif kind == "copy":
                _copy(run_dir / "upload" / args[0], Path(workdir, args[1]))
            elif kind == "write":
                Path(args[0]).write_text(args[1])
                Path(args[0]).chmod(args[2])
            elif kind == "provided":
                _provide(Path(args[0]))
            elif kind == "service":
                pending.append(args)
            else:
                # The engine starts bound services before the exec that needs them.
                for alias, service_kind, port, service_env, service_args in pending:
                    services.start(
                        alias, addresses[alias], service_kind, port, service_env, service_args
                    )
                pending.clear()
                print(f"parity> {workdir}$ {shlex.join(args[0])}", flush=True)
                code = subprocess.run(args[0], cwd=workdir, env=env, check=False).returncode
                if code != 0 and not args[1]:
                    print(f"parity> exit code {code}", flush=True)
                    services.report()
                    return code
        return 0
    finally:
        services.stop_all()


def _provide(path: Path) -> None:
    """What the graph copies out of an image (uv, node): the machine's own, linked in place."""
    if path.exists():
        return
    candidates = [Path(str(path).replace(f"{IMAGE_PREFIX}/", "/usr/", 1))]
    found = shutil.which(path.name, path=HOST_PATH)
    if found is not None:
        candidates.append(Path(found))
    for candidate in candidates:
        if candidate.exists() and candidate != path:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.symlink_to(candidate)
            return
    raise SystemExit(f"parity: the image provides {path}; this machine does not")


def _copy(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
