"""Reading a lazy Dagger object's recorded selections as a plan.

`dag.container().from_("x").with_exec([...])` records one Field(type_name, name,
args) per call; object arguments (directories, services, cache volumes,
secrets) carry their own records. `Plan` turns those into plain questions: which
image, which commands in which order, which services, caches, secrets.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from dagger.client._core import Field  # pyright: ignore[reportPrivateImportUsage]
from dagger.client.base import Type


def selections(obj: Type) -> list[Field]:
    """The calls recorded on `obj`, from the root query to `obj` itself."""
    # The SDK keeps them private; reading them is the whole point here.
    return list(obj._ctx.selections)  # pyright: ignore[reportPrivateUsage]


def _nested(value: object) -> Iterator[Type]:
    if isinstance(value, Type):
        yield value
    elif isinstance(value, list | tuple):
        for item in cast(list[object], value):
            yield from _nested(item)


def walk(obj: Type) -> Iterator[Field]:
    """Every call in `obj`'s graph, including those inside its object arguments."""
    for field in selections(obj):
        yield field
        for value in field.args.values():
            for inner in _nested(value):
                yield from walk(inner)


@dataclass(frozen=True)
class Plan:
    """The chain of calls that produced one object."""

    obj: Type

    @property
    def fields(self) -> list[Field]:
        return selections(self.obj)

    def calls(self, name: str) -> list[Field]:
        return [field for field in self.fields if field.name == name]

    def position(self, call: str, /, **args: Any) -> int:
        """Index of the first `call` whose arguments include `args`."""
        for index, field in enumerate(self.fields):
            if field.name == call and all(field.args.get(k) == v for k, v in args.items()):
                return index
        raise AssertionError(f"no {call}({args}) in {[f.name for f in self.fields]}")

    def exec_position(self, *command: str) -> int:
        """Index of the first exec whose argv starts with `command`."""
        for index, field in enumerate(self.fields):
            if field.name == "withExec" and field.args["args"][: len(command)] == list(command):
                return index
        raise AssertionError(f"no exec starting with {command} in {self.execs}")

    @property
    def base_image(self) -> str:
        return self.calls("from")[0].args["address"]

    @property
    def execs(self) -> list[list[str]]:
        return [field.args["args"] for field in self.calls("withExec")]

    @property
    def env(self) -> dict[str, str]:
        return {f.args["name"]: f.args["value"] for f in self.calls("withEnvVariable")}

    @property
    def secret_variables(self) -> dict[str, Type]:
        return {f.args["name"]: f.args["secret"] for f in self.calls("withSecretVariable")}

    @property
    def labels(self) -> dict[str, str]:
        return {f.args["name"]: f.args["value"] for f in self.calls("withLabel")}

    @property
    def bindings(self) -> dict[str, "Plan"]:
        return {f.args["alias"]: Plan(f.args["service"]) for f in self.calls("withServiceBinding")}

    @property
    def cache_mounts(self) -> dict[str, str]:
        """Mount path -> cache volume key."""
        mounts: dict[str, str] = {}
        for field in self.calls("withMountedCache"):
            volume = Plan(field.args["cache"]).calls("cacheVolume")[0]
            mounts[field.args["path"]] = volume.args["key"]
        return mounts

    def argument(self, call: str, name: str) -> "Plan":
        """The object passed as `name` to the first `call`, as a plan of its own."""
        return Plan(self.calls(call)[0].args[name])


def images(obj: Type) -> set[str]:
    """Every image address pulled anywhere in `obj`'s graph."""
    return {field.args["address"] for field in walk(obj) if field.name == "from"}


def plain_values(obj: Type) -> Iterator[str]:
    """Every plain (non-secret) string handed to the graph as an env value or argv."""
    for field in walk(obj):
        if field.name == "withEnvVariable":
            yield field.args["value"]
        elif field.name == "withExec":
            yield from field.args["args"]


def _key(value: object) -> object:
    if isinstance(value, Type):
        return cache_key(value)
    if isinstance(value, list | tuple):
        return tuple(_key(item) for item in cast(list[object], value))
    if isinstance(value, dict):
        items = cast(dict[str, object], value).items()
        return tuple(sorted((name, repr(_key(item))) for name, item in items))
    return repr(value)


def cache_key(obj: Type) -> tuple[object, ...]:
    """What the engine keys `obj` by: every call and argument of its graph, objects expanded.

    Two containers with equal keys are one result to the engine: the second is a cache hit.
    """
    return tuple(
        (
            field.type_name,
            field.name,
            tuple(sorted((k, repr(_key(v))) for k, v in field.args.items())),
        )
        for field in selections(obj)
    )
