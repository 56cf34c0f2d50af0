"""What a check container does, read from its lazy Dagger graph as plain operations.

The graph is walked the way tests/ci reads it (the SDK's recorded selections). Everything
before the first file copied out of an image (the toolchain: uv) is the system-package layer,
which the machine provides; only its `apt-get install` packages are kept, to be checked. From
there on every call becomes one operation, in order, with nothing left out: a call this module
cannot replay is an error, so the parity run never passes by ignoring a new step.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from dagger.client.base import Type

REPOSITORY: Final = Path(__file__).resolve().parents[2]
# Calls that only make the engine faster (cache volumes) change nothing a test can see.
PERFORMANCE_ONLY: Final = frozenset({"withMountedCache"})
SERVICE_IMAGES: Final = ("postgres", "redis")


class ParityError(RuntimeError):
    """The graph holds something the parity run cannot reproduce natively."""


@dataclass
class Work:
    """The operations to replay, the packages the image installs and the upload filter."""

    operations: list[list[Any]] = field(default_factory=lambda: [])
    packages: list[str] = field(default_factory=lambda: [])
    ignore: list[str] = field(default_factory=lambda: [])
    mount_points: list[str] = field(default_factory=lambda: [])


def read(check: str) -> Work:
    """The work of the `check` ("test" or "lint") container, from the module's own builders."""
    sys.path.insert(0, str(REPOSITORY / "ci" / "src"))
    from cloudmetrics_ci import checks
    from cloudmetrics_ci.source import SOURCE_IGNORE
    from dagger import dag

    builders: dict[str, Callable[[Any], Type]] = {
        "test": checks.test_container,
        "lint": checks.lint_container,
    }
    container = builders[check](dag.host().directory(str(REPOSITORY)))
    work = from_fields(_selections(container))
    work.ignore = list(SOURCE_IGNORE)
    return work


def _selections(obj: Type) -> list[Any]:
    # The SDK keeps them private; tests/ci/graph.py reads them the same way.
    return list(obj._ctx.selections)  # pyright: ignore[reportPrivateUsage]


def from_fields(fields: list[Any]) -> Work:
    """Turn a container's recorded calls into replayable operations."""
    work = Work()
    in_system_layer = True
    for call in fields:
        name, args = call.name, call.args
        if in_system_layer:
            if name == "withFile" and _origin(args["source"])[0] == "image":
                in_system_layer = False
            elif name == "withExec" and args["args"][:2] == ["apt-get", "install"]:
                work.packages += [a for a in args["args"][2:] if not a.startswith("-")]
                continue
            elif name == "withEnvVariable":
                # Set for the packages, still set when the suite runs.
                work.operations.append(_operation(name, args, work))
                continue
            else:
                continue
        if name in PERFORMANCE_ONLY:
            continue
        work.operations.append(_operation(name, args, work))
    if in_system_layer:
        raise ParityError("the graph copies no toolchain out of an image: nothing to replay")
    return work


def _operation(name: str, args: dict[str, Any], work: Work) -> list[Any]:
    if name == "withEnvVariable":
        return ["env", args["name"], args["value"]]
    if name == "withWorkdir":
        if args["path"] not in work.mount_points:
            work.mount_points.append(args["path"])
        return ["workdir", args["path"]]
    if name in {"withFile", "withDirectory"}:
        kind, where = _origin(args["source"])
        if kind == "image":
            return ["provided", args["path"]]
        return ["copy", where, args["path"]]
    if name == "withNewFile":
        return ["write", args["path"], args["contents"], args.get("permissions", 0o644)]
    if name == "withExec":
        expect = str(args.get("expect", "SUCCESS"))
        return ["exec", list(args["args"]), expect == "ANY"]
    if name == "withServiceBinding":
        return ["service", args["alias"], *_service(args["service"])]
    raise ParityError(f"the parity run cannot replay `{name}({args})`: teach scripts/parity")


def _origin(obj: Type) -> tuple[str, str]:
    """("image", address) for a file out of an image, ("source", relative path) for the host's."""
    path: list[str] = []
    origin = ""
    for call in _selections(obj):
        if call.name == "from":
            origin = "image"
            path = [call.args["address"]]
        elif call.name == "host":
            origin = "source"
        elif origin == "source" and call.name in {"directory", "file"}:
            path.append(call.args["path"])
    if origin == "source":
        # The first `directory` is the repository itself; what follows is relative to it.
        return origin, "/".join(path[1:]) or "."
    if origin == "image":
        return origin, path[0]
    raise ParityError(f"cannot tell where {obj!r} comes from")


def _service(obj: Type) -> list[Any]:
    """[image kind, port, env, args] of a bound service."""
    calls = _selections(obj)
    (address,) = [c.args["address"] for c in calls if c.name == "from"]
    kind = address.split(":", 1)[0].rsplit("/", 1)[-1]
    if kind not in SERVICE_IMAGES:
        raise ParityError(f"no native stand-in for the service image {address}")
    ports = [c.args["port"] for c in calls if c.name == "withExposedPort"]
    env = {c.args["name"]: c.args["value"] for c in calls if c.name == "withEnvVariable"}
    (as_service,) = [c for c in calls if c.name == "asService"]
    return [kind, ports[0], env, list(as_service.args.get("args") or [])]


def missing_packages(packages: Iterable[str], postgres_major: int) -> list[str]:
    """The image's packages this machine lacks; PostgreSQL's match the parity server."""
    wanted = [
        re.sub(r"^(postgresql(?:-client)?)-\d+$", rf"\g<1>-{postgres_major}", p) for p in packages
    ]
    return [package for package in wanted if not _installed(package)]


def _installed(package: str) -> bool:
    status = subprocess.run(
        ["dpkg-query", "--show", "--showformat=${Status}", package],
        capture_output=True,
        text=True,
        check=False,
    )
    return status.stdout.strip() == "install ok installed"


def _pattern(pattern: str) -> re.Pattern[str]:
    """A .dockerignore-style pattern (what Dagger's `Ignore` takes) as a regular expression."""
    parts: list[str] = []
    text = pattern.strip("/")
    index = 0
    while index < len(text):
        if text.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
        elif text.startswith("**", index):
            parts.append(".*")
            index += 2
        elif text[index] == "*":
            parts.append("[^/]*")
            index += 1
        elif text[index] == "?":
            parts.append("[^/]")
            index += 1
        elif text[index] == "[":
            end = text.index("]", index)
            parts.append(text[index : end + 1])
            index = end + 1
        else:
            parts.append(re.escape(text[index]))
            index += 1
    return re.compile("".join(parts))


def ignored(relative: str, patterns: list[str]) -> bool:
    """Whether the engine leaves `relative` (or a directory above it) out of the upload."""
    result = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        regex = _pattern(pattern.removeprefix("!"))
        parts = relative.split("/")
        prefixes = ("/".join(parts[: i + 1]) for i in range(len(parts)))
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            result = not negated
    return result


def upload(repository: Path, destination: Path, patterns: list[str]) -> int:
    """Copy what the engine would upload; the number of files copied."""
    copied = 0
    for directory, subdirectories, files in os.walk(repository):
        relative_directory = Path(directory).relative_to(repository).as_posix()
        base = "" if relative_directory == "." else f"{relative_directory}/"
        subdirectories[:] = [d for d in subdirectories if not ignored(base + d, patterns)]
        (destination / base).mkdir(parents=True, exist_ok=True)
        for name in files:
            if ignored(base + name, patterns):
                continue
            shutil.copy2(Path(directory) / name, destination / base / name, follow_symlinks=False)
            copied += 1
    return copied
