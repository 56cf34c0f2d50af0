"""The module's registration, as the SDK would send it to the engine.

The runtime imports the module with DAGGER_MAIN_OBJECT set and calls the SDK's
registration, which builds a lazy `Module` type definition and finally awaits
its id. Standing in for that one await runs every conversion the SDK does
(argument types, enum members, defaults, default paths, cache policies, checks)
without an engine.
"""

from typing import Any

import dagger
import pytest
from cloudmetrics_ci import CloudmetricsCi

from tests.ci.graph import walk


@pytest.fixture
async def registration(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    module: Any = getattr(CloudmetricsCi, "__dagger_module__")  # noqa: B009 - set by the SDK
    monkeypatch.setattr(module, "_main_name", "CloudmetricsCi")
    monkeypatch.setattr(module, "_main", getattr(CloudmetricsCi, "__dagger_object_type__"))  # noqa: B009
    sent: list[dagger.Module] = []

    async def engine_receives(definition: dagger.Module) -> str:
        sent.append(definition)
        return "module-id"

    monkeypatch.setattr(dagger.Module, "id", engine_receives)
    assert await module._typedefs() == "module-id"
    (definition,) = sent
    return list(walk(definition))


def calls(fields: list[Any], name: str) -> list[dict[str, Any]]:
    return [field.args for field in fields if field.name == name]


def functions(fields: list[Any]) -> dict[str, list[Any]]:
    """Each function's registration calls, from its `function` call to the next one."""
    grouped: dict[str, list[Any]] = {}
    current: list[Any] | None = None
    for field in fields:
        if field.name == "function":
            current = grouped.setdefault(field.args["name"], [])
        elif current is not None:
            current.append(field)
    return grouped


async def test_registers_every_function(registration: list[Any]) -> None:
    registered = functions(registration)
    assert set(registered) == {
        "",  # the constructor
        "build",
        "ci",
        "deploy",
        "lint",
        "migrate",
        "smoke",
        "stack",
        "test",
    }


async def test_checks_services_and_cache_policies(registration: list[Any]) -> None:
    registered = functions(registration)
    assert {name for name, fields in registered.items() if calls(fields, "withCheck")} == {
        "lint",
        "test",
    }
    assert calls(registered["stack"], "withUp") == [{}]
    for name in ("deploy", "migrate", "smoke"):
        assert calls(registered[name], "withCachePolicy") == [{"policy": "Never"}], name
    assert calls(registered["build"], "withCachePolicy") == []


async def test_source_argument_defaults_to_the_repository(registration: list[Any]) -> None:
    (source,) = calls(functions(registration)[""], "withArg")
    assert source["name"] == "source"
    assert source["defaultPath"] == "."
    assert ".git" in source["ignore"]


async def test_command_line_values_and_defaults(registration: list[Any]) -> None:
    members = {(m["name"], m["value"]) for m in calls(registration, "withEnumMember")}
    assert {("dev", "dev"), ("staging", "staging"), ("prod", "prod")} <= members
    arguments = {a["name"]: a for a in calls(functions(registration)["migrate"], "withArg")}
    assert arguments["direction"]["defaultValue"] == '"up"'
    deploy = {a["name"]: a for a in calls(functions(registration)["deploy"], "withArg")}
    assert "defaultValue" not in deploy["env"]
    assert "defaultValue" not in deploy["revision"]
    assert deploy["aws_session_token"]["defaultValue"] == "null"
