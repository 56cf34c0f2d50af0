"""A direct step runner: a Dagger container's graph executed step by step in real containers.

`from_` starts the stand-in image (stand_ins.py) as a long-lived container; every
`with_exec` is a `podman exec` in it with the graph's variables, working directory and user up
to that point; files and directories are copied exactly as the graph says, from the uploaded
repository or out of another container (itself replayed first); `with_mounted_cache` is a
named podman volume; `with_service_binding` starts the service's own graph as a container on
the run's podman network under its alias; `with_secret_variable` is a podman secret exposed as
that variable (never on an argv, never printed). A call the runner does not know stops the
replay (graph.ReplayError): nothing is skipped.
"""

from __future__ import annotations

import hashlib
import shlex
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from scripts.replay import graph, stand_ins
from scripts.replay.podman import environment, podman, podman_ok

IMAGE_PATH: Final = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
CA_VARIABLES: Final = ("SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "PIP_CERT", "REQUESTS_CA_BUNDLE")
SERVICE_START_TIMEOUT: Final = 60.0
# Every call a replayed container may hold; anything else stops the replay.
KNOWN_CALLS: Final = (
    frozenset(
        {
            "from",
            "withEnvVariable",
            "withWorkdir",
            "withUser",
            "withFile",
            "withDirectory",
            "withNewFile",
            "withExec",
            "withServiceBinding",
            "withMountedCache",
            "withSecretVariable",
        }
    )
    | graph.METADATA
)


class StepFailed(RuntimeError):
    """A replayed exec exited non-zero where the graph expects success."""

    def __init__(self, argv: list[str], code: int) -> None:
        self.code = code
        super().__init__(f"`{shlex.join(argv)}` exited with {code}")


def reference(name: str) -> str:
    """The stand-in's name in podman's store (a short name is stored under localhost/)."""
    first = name.split("/", 1)[0]
    if "/" in name and ("." in first or ":" in first or first == "localhost"):
        return name
    return f"localhost/{name}"


class Run:
    """One replay: a podman network, its containers, volumes and secrets, removed at the end."""

    def __init__(self, repository: Path, upload: Path, stop_before: str | None = None) -> None:
        self.repository = repository
        self.upload = upload
        self.id = uuid.uuid4().hex[:10]
        self.network = f"cloudmetrics-replay-{self.id}"
        self.stop_before = stop_before
        self._containers: list[str] = []
        self._secrets: list[str] = []
        self._materialized: dict[int, str] = {}
        # The environment, working directory and user each replayed container ended with.
        self.state: dict[str, tuple[dict[str, str], str, str | None]] = {}
        self._network_made = False

    def close(self) -> None:
        for name in reversed(self._containers):
            subprocess.run(
                ["podman", "rm", "--force", "--time", "2", name],
                env=environment(),
                capture_output=True,
                check=False,
            )
        for name in self._secrets:
            subprocess.run(
                ["podman", "secret", "rm", name],
                env=environment(),
                capture_output=True,
                check=False,
            )
        if self._network_made:
            subprocess.run(
                ["podman", "network", "rm", "--force", self.network],
                env=environment(),
                capture_output=True,
                check=False,
            )

    def _ensure_network(self) -> None:
        if not self._network_made:
            podman("network", "create", self.network)
            self._network_made = True

    def container(self, fields: tuple[Any, ...], label: str) -> str:
        """Replay `fields` (a container's graph); the name of the container holding its state."""
        key = hash(tuple(repr(f) for f in fields))
        if key in self._materialized:
            return self._materialized[key]
        name = self._replay(fields, label)
        self._materialized[key] = name
        return name

    def _replay(self, fields: tuple[Any, ...], label: str) -> str:
        calls = [f for f in fields if not (f.type_name == "Query" and f.name == "container")]
        if not calls or calls[0].name != "from":
            raise graph.ReplayError(f"{label}: a container that does not start from an image")
        image = calls[0].args["address"]
        stand_ins.ensure(image)
        needs_run = any(
            c.name in {"withExec", "withServiceBinding", "withNewFile"} or c.name == "withWorkdir"
            for c in calls[1:]
        )
        name = f"{self.network}-{len(self._containers)}"
        self._containers.append(name)
        if not needs_run:
            # Only files are taken out of it: no process needed (scratch images have no shell).
            podman("create", "--name", name, reference(image), "none")
            return self._apply(name, calls[1:], label)
        options = self._start_options(calls)
        # The leading steps that read nothing from outside (system packages: variables, new
        # files, commands) are cached as an image, keyed by those steps, like the engine's
        # layers: a later replay with the same steps starts from it and runs none of them.
        prefix = _pure_prefix(calls)
        # Keyed by the stand-in's own id too: a rebuilt stand-in invalidates the cached steps.
        base_id = podman("image", "inspect", "--format", "{{.Id}}", reference(image)).strip()
        key = _prefix_key(calls[:prefix], base_id)
        cached = f"{PREFIX_CACHE}:{key}"
        hit = key is not None and podman_ok("image", "exists", cached)
        start = cached if hit else reference(image)
        # --init: an init reaps orphaned processes as the engine's exec shim does; under a bare
        # `sleep` a daemon that exits stays a zombie and still looks alive to its parent.
        podman(
            "run",
            "--detach",
            "--init",
            "--name",
            name,
            *options,
            "--entrypoint",
            "sleep",
            start,
            "infinity",
        )
        if hit:
            print(
                f"replay> {label}: {prefix - 1} leading steps from the cache ({cached})", flush=True
            )
        self._apply(name, calls[1:prefix], label, run_commands=not hit)
        if key is not None and not hit:
            podman("commit", "--quiet", name, cached)
        return self._apply(name, calls[prefix:], label, resume=True)

    def _start_options(self, calls: list[Any]) -> list[str]:
        """Network, cache volumes, secrets and the machine's CA: fixed when the container starts."""
        options = [f"--volume={stand_ins.HOST_CA}:{stand_ins.CONTAINER_CA}:ro"]
        if any(c.name == "withServiceBinding" for c in calls):
            self._ensure_network()
            options.append(f"--network={self.network}")
        for call in calls:
            if call.name == "withMountedCache":
                volume = graph.fields_of(call.args["cache"])[-1].args["key"]
                options.append(f"--volume={volume}:{call.args['path']}")
            elif call.name == "withSecretVariable":
                secret = f"{self.network}-{len(self._secrets)}"
                podman(
                    "secret", "create", secret, "-", stdin=graph.secret_value(call.args["secret"])
                )
                self._secrets.append(secret)
                options.append(f"--secret={secret},type=env,target={call.args['name']}")
        return options

    def _apply(
        self,
        name: str,
        calls: list[Any],
        label: str,
        *,
        run_commands: bool = True,
        resume: bool = False,
    ) -> str:
        if resume and name in self.state:
            env, workdir, user = self.state[name]
        else:
            env = {"PATH": IMAGE_PATH} | dict.fromkeys(CA_VARIABLES, stand_ins.CONTAINER_CA)
            workdir = "/"
            user: str | None = None
        for call in calls:
            if not run_commands and call.name in {"withExec", "withNewFile"}:
                continue  # their effects are in the cached image
            kind, args = call.name, call.args
            if kind == "withEnvVariable":
                env[args["name"]] = args["value"]
            elif kind == "withWorkdir":
                workdir = args["path"]
                if run_commands:
                    self._exec(name, ["mkdir", "-p", workdir], {}, "/", None, quiet=True)
            elif kind == "withUser":
                user = args["name"]
            elif kind in {"withFile", "withDirectory"}:
                self._copy(name, graph.origin(args["source"], self.repository), args["path"], kind)
            elif kind == "withNewFile":
                self._new_file(name, args["path"], args["contents"], args.get("permissions"))
            elif kind == "withExec":
                argv = list(args["args"])
                if self.stop_before is not None and argv[0] == self.stop_before:
                    print(f"replay> {label}: stops before `{shlex.join(argv)}`", flush=True)
                    return name
                replayed = stand_ins.substituted(argv)
                if replayed != argv:
                    shown = "not run" if replayed is None else f"runs `{shlex.join(replayed)}`"
                    print(f"replay> substituted: `{shlex.join(argv)}` {shown}", flush=True)
                if replayed is None:
                    continue
                code = self._exec(name, replayed, env, workdir, user)
                if code != 0 and str(args.get("expect", "SUCCESS")) != "ANY":
                    raise StepFailed(argv, code)
            elif kind == "withServiceBinding":
                self._service(args["alias"], graph.service(args["service"]))
            elif kind in {"withMountedCache", "withSecretVariable"}:
                continue  # attached at start (_start_options)
            elif kind in graph.METADATA:
                continue
            else:
                raise graph.ReplayError(f"{label}: cannot replay `{kind}({args})`")
        self.state[name] = (env, workdir, user)
        return name

    def exec_as_graph(self, name: str, argv: list[str], *, detach: bool = False) -> int:
        """`argv` in a replayed container, with the variables, directory and user it ended with."""
        env, workdir, user = self.state[name]
        if detach:
            options = [f"--workdir={workdir}", *(f"--env={k}={v}" for k, v in env.items())]
            options += [f"--user={user}"] if user else []
            podman("exec", "--detach", *options, name, *argv)
            return 0
        return self._exec(name, argv, env, workdir, user)

    def _exec(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        workdir: str,
        user: str | None,
        *,
        quiet: bool = False,
    ) -> int:
        options = [f"--workdir={workdir}"]
        for key, value in env.items():
            options += ["--env", f"{key}={value}"]
        if user is not None:
            options.append(f"--user={user}")
        if not quiet:
            print(f"replay> {workdir}$ {shlex.join(argv)}", flush=True)
        completed = subprocess.run(
            ["podman", "exec", *options, name, *argv],
            env=environment(),
            stdout=subprocess.DEVNULL if quiet else None,
            check=False,
        )
        return completed.returncode

    def _copy(self, name: str, source: graph.Origin, path: str, kind: str) -> None:
        with _scratch() as scratch:
            if source.kind == "host":
                local = self.upload / source.path
            elif source.kind == "http":
                # The engine fetches it; here the machine does, through its CA bundle.
                local = scratch / "download"
                stand_in = stand_ins.HTTP_STAND_INS.get(source.path)
                if stand_in is not None:
                    print(f"replay> substituted: {source.path} is {stand_in}", flush=True)
                    local.write_bytes(stand_in.read_bytes())
                else:
                    with urllib.request.urlopen(source.path, timeout=60) as response:  # noqa: S310 - the graph's https URL
                        local.write_bytes(response.read())
                local.chmod(source.permissions or 0o644)
            else:
                other = self.container(source.container, f"copy source of {path}")
                local = scratch / "out"
                podman("cp", f"{other}:{source.path}", str(local))
            parent = str(Path(path).parent)
            self._exec(
                name,
                ["mkdir", "-p", parent if kind == "withFile" else path],
                {},
                "/",
                None,
                quiet=True,
            )
            # A directory's contents merge into `path`, as the engine's withDirectory does.
            origin = f"{local}/." if kind == "withDirectory" else str(local)
            podman("cp", origin, f"{name}:{path}")

    def _new_file(self, name: str, path: str, contents: str, permissions: int | None) -> None:
        with _scratch() as scratch:
            local = scratch / "file"
            local.write_text(contents)
            local.chmod(permissions or 0o644)
            self._exec(name, ["mkdir", "-p", str(Path(path).parent)], {}, "/", None, quiet=True)
            podman("cp", str(local), f"{name}:{path}")

    def _service(self, alias: str, service: graph.Service) -> None:
        """The service's own graph, run as a container on the network under `alias`."""
        calls = [
            c for c in service.container if not (c.type_name == "Query" and c.name == "container")
        ]
        image = calls[0].args["address"]
        stand_ins.ensure(image)
        self._ensure_network()
        options = [f"--network={self.network}", f"--network-alias={alias}"]
        ports: list[int] = []
        for call in calls[1:]:
            if call.name == "withEnvVariable":
                options += ["--env", f"{call.args['name']}={call.args['value']}"]
            elif call.name == "withExposedPort":
                ports.append(int(call.args["port"]))
            elif call.name not in graph.METADATA:
                raise graph.ReplayError(f"service {alias}: cannot replay `{call.name}`")
        name = f"{self.network}-{alias}"
        self._containers.append(name)
        args = list(service.args)
        if not service.use_entrypoint and args:
            options += ["--entrypoint", args[0]]
            args = args[1:]
        print(f"replay> service {alias} ({image}) {shlex.join(args)}", flush=True)
        podman("run", "--detach", "--name", name, *options, reference(image), *args)
        address = podman(
            "inspect",
            "--format",
            f'{{{{(index .NetworkSettings.Networks "{self.network}").IPAddress}}}}',
            name,
        ).strip()
        for port in ports:
            _wait_for(name, address, port, f"service {alias}")


PREFIX_CACHE: Final = "localhost/cloudmetrics-replay/steps"
PURE_CALLS: Final = frozenset(
    {
        "from",
        "withEnvVariable",
        "withWorkdir",
        "withUser",
        "withNewFile",
        "withExec",
        "withMountedCache",
    }
)


def _pure_prefix(calls: list[Any]) -> int:
    """How many leading calls read nothing from outside the graph (no copies, no services)."""
    for index, call in enumerate(calls):
        if call.name not in PURE_CALLS:
            return index
    return len(calls)


def _prefix_key(calls: list[Any], base_id: str) -> str | None:
    """The cache key of those calls on that image; None when they run no command."""
    if not any(call.name == "withExec" for call in calls):
        return None
    parts: list[str] = [base_id]
    for call in calls:
        args = dict(call.args)
        if call.name == "withMountedCache":
            args["cache"] = graph.fields_of(call.args["cache"])[-1].args["key"]
        parts.append(f"{call.name}{sorted((k, repr(v)) for k, v in args.items())}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:20]


def _wait_for(name: str, address: str, port: int, what: str) -> None:
    # The engine starts a bound service and waits for its exposed ports before the exec.
    deadline = time.monotonic() + SERVICE_START_TIMEOUT
    while True:
        try:
            with socket.create_connection((address, port), timeout=1):
                return
        except OSError:
            running = podman("inspect", "--format", "{{.State.Running}}", name).strip()
            if running != "true" or time.monotonic() > deadline:
                logs = subprocess.run(
                    ["podman", "logs", "--tail", "20", name],
                    env=environment(),
                    capture_output=True,
                    text=True,
                    check=False,
                )
                raise SystemExit(
                    f"replay: {what} is not listening on {port}:\n{logs.stdout}{logs.stderr}"
                ) from None
            time.sleep(0.2)


@contextmanager
def _scratch() -> Generator[Path]:
    with tempfile.TemporaryDirectory(prefix="cloudmetrics-replay-") as name:
        yield Path(name)
