"""A container's lazy Dagger graph as a list of steps a podman runner can execute.

The SDK records one `Field(type_name, name, args)` per call (tests/ci/graph.py reads it the
same way). Every call becomes one step, in order; a call this module does not know is an error,
so a replay never passes by leaving a new kind of step out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from dagger.client.base import Type

# Calls that record metadata no command can observe, in the image or at run time.
METADATA: Final = frozenset(
    {"withLabel", "withExposedPort", "withDefaultArgs", "withEntrypoint", "withDockerHealthcheck"}
)


class ReplayError(RuntimeError):
    """The graph holds something the replay cannot execute as the engine would."""


@dataclass(frozen=True)
class Origin:
    """Where a copied file or directory comes from: the host's repository or a container."""

    kind: str  # "host", "container" or "http"
    path: str  # relative to the repository (host), absolute inside the container, or a URL
    container: tuple[Any, ...] = ()  # the container's own fields, for kind == "container"
    permissions: int | None = None  # for kind == "http"


@dataclass(frozen=True)
class Service:
    """A bound service: its container's fields, its arguments, whether the entrypoint runs."""

    container: tuple[Any, ...]
    args: tuple[str, ...]
    use_entrypoint: bool


def fields_of(obj: Type) -> tuple[Any, ...]:
    # The SDK keeps the selections private; reading them is the whole point here.
    return tuple(obj._ctx.selections)  # pyright: ignore[reportPrivateUsage]


def origin(obj: Type, repository: Path) -> Origin:
    """Where `obj` (a File or Directory argument) comes from."""
    fields = fields_of(obj)
    first = fields[0]
    if first.type_name == "Query" and first.name == "host":
        parts: list[str] = []
        for field in fields[1:]:
            if field.name not in {"directory", "file"}:
                raise ReplayError(f"cannot replay `{field.name}` on a host directory")
            parts.append(field.args["path"])
        root = Path(parts[0]).resolve()
        if root != repository.resolve():
            raise ReplayError(f"the graph reads {root}, not the repository {repository}")
        return Origin("host", "/".join(parts[1:]) or ".")
    if first.type_name == "Query" and first.name == "http" and len(fields) == 1:
        return Origin("http", first.args["url"], permissions=first.args.get("permissions"))
    if first.type_name == "Query" and first.name == "container":
        last = max(i for i, field in enumerate(fields) if field.type_name == "Container")
        if fields[last].name not in {"file", "directory"}:
            raise ReplayError(f"cannot copy out of a container by `{fields[last].name}`")
        path = fields[last].args["path"]
        for field in fields[last + 1 :]:
            if field.name not in {"directory", "file"}:
                raise ReplayError(f"cannot replay `{field.name}` on a container's directory")
            path = f"{path.rstrip('/')}/{field.args['path']}"
        return Origin("container", path, fields[:last])
    raise ReplayError(f"cannot tell where {[f.name for f in fields]} comes from")


def service(obj: Type) -> Service:
    fields = fields_of(obj)
    (as_service,) = [f for f in fields if f.name == "asService"]
    index = fields.index(as_service)
    return Service(
        container=fields[:index],
        args=tuple(as_service.args.get("args") or ()),
        use_entrypoint=bool(as_service.args.get("useEntrypoint", False)),
    )


def secret_value(obj: Type) -> str:
    """The value of a secret made by `dag.set_secret` (the only kind a replay is handed)."""
    fields = fields_of(obj)
    if fields[0].name != "setSecret":
        raise ReplayError("only secrets made by set_secret can be replayed")
    return str(fields[0].args["plaintext"])
