"""Build the real programs under mocks: each stack from its own Pulumi.<stack>.yaml.

Each build runs in a thread of its own: Pulumi keeps its runtime state (root stack, settings,
event loop) per thread/context, so stacks build one after another without leaking into each
other or into pytest-asyncio's loop.

The committed stack files hold placeholders (account ids, hosted zones, example.com) that the
program refuses, as it must. Builds fill those keys with the values below, as an account owner
would; `as_committed=True` builds the files exactly as they are.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import json
import pkgutil
import warnings
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime.mocks import MockMonitor

from tests.infra.mock_cloud import IMAGE_TAG, INFRA, RecordingMocks, Snapshot


def _import_deprecated_modules_quietly() -> None:
    """A few pulumi_aws modules announce their own deprecation when first imported (the *V2
    S3 classes, ec2.EncryptionControl), which happens lazily while our program runs. We use none
    of them: import them here, with the warning silenced, so reports show only warnings about
    our code, whichever test builds a stack first."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for package_name in ("pulumi_aws.s3", "pulumi_aws.ec2"):
            package = importlib.import_module(package_name)
            for module in pkgutil.iter_modules(package.__path__):
                source = Path(package.__path__[0], f"{module.name}.py")
                if source.is_file() and "\nwarnings.warn(" in source.read_text():
                    importlib.import_module(f"{package_name}.{module.name}")


_import_deprecated_modules_quietly()

ACCOUNTS = {"dev": "402817365521", "staging": "519274630188", "prod": "736105948273"}
# Plausible real values for the keys the committed files leave as placeholders.
FILLED_IN: dict[str, dict[str, str]] = {
    environment: {
        "cloudmetrics:accountId": ACCOUNTS[environment],
        "cloudmetrics:hostedZoneId": zone,
        "cloudmetrics:domainName": f"api.{environment}.cloudmetrics-platform.net",
        "cloudmetrics:alarmEmail": f"oncall+{environment}@cloudmetrics-platform.net",
    }
    for environment, zone in (
        ("dev", "Z04417292QGZC6N9KQJ5D"),
        ("staging", "Z08329174AXLCSP0TT2QF"),
        ("prod", "Z02956381K8VNQ3HBW7YE"),
    )
}
# Each environment's images are promoted to the next one's account; prod's file says "none".
FILLED_IN["dev"]["cloudmetrics:nextEnvironmentAccountId"] = ACCOUNTS["staging"]
FILLED_IN["staging"]["cloudmetrics:nextEnvironmentAccountId"] = ACCOUNTS["prod"]
BOOTSTRAP_FILLED_IN: dict[str, dict[str, str]] = {
    environment: {"cloudmetrics-bootstrap:accountId": values["cloudmetrics:accountId"]}
    for environment, values in FILLED_IN.items()
}


def stack_config(path: Path) -> dict[str, str]:
    """A Pulumi.<stack>.yaml's config, flattened the way the engine hands it to a program."""
    document: dict[str, Any] = yaml.safe_load(path.read_text())
    flat: dict[str, str] = {}
    for key, value in document["config"].items():
        if isinstance(value, str):
            flat[key] = value
        else:
            flat[key] = json.dumps(value)
    return flat


def estate_config(environment: str, *, as_committed: bool = False) -> dict[str, str]:
    """What `pulumi up` of this environment hands the program (file, filled in, image tag)."""
    config = stack_config(INFRA / f"Pulumi.{environment}.yaml")
    if not as_committed:
        config |= FILLED_IN[environment]
    config["cloudmetrics:imageTag"] = IMAGE_TAG
    return config


@dataclasses.dataclass(frozen=True)
class Links:
    parent: str
    dependencies: tuple[str, ...]
    property_dependencies: dict[str, tuple[str, ...]]


class RecordingMonitor(MockMonitor):
    """The mock monitor, also keeping each registration's parent and declared dependencies."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.links: dict[str, Links] = {}

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 -- the gRPC method's name
        urn = self.make_urn(request.parent, request.type, request.name)
        self.links[urn] = Links(
            parent=str(request.parent),
            dependencies=tuple(str(dependency) for dependency in request.dependencies),
            property_dependencies={
                str(key): tuple(str(urn) for urn in value.urns)
                for key, value in request.propertyDependencies.items()
            },
        )
        return super().RegisterResource(request)  # pyright: ignore[reportUnknownMemberType]


def _run(
    project: str,
    environment: str,
    config: Mapping[str, str],
    program: Callable[[], Mapping[str, pulumi.Output[Any]]],
    *,
    region: str,
    account: str,
    preview: bool = False,
) -> Snapshot:
    snapshot = Snapshot(environment)

    def in_fresh_thread() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            declare_all()
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    def declare_all() -> None:
        mocks = RecordingMocks(snapshot, region, account, preview)
        monitor = RecordingMonitor(mocks)
        pulumi.runtime.set_mocks(
            mocks, project=project, stack=environment, preview=preview, monitor=monitor
        )
        pulumi.runtime.set_all_config(dict(config))

        # pulumi's test decorator carries no type hints.
        @pulumi.runtime.test  # pyright: ignore[reportUnknownMemberType]
        def declare() -> pulumi.Output[Any]:
            # Returning the gathered outputs makes the test runner wait for every one of them.
            return pulumi.Output.all(**program()).apply(snapshot.outputs.update)

        declare()
        _link(snapshot, monitor.links)

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(in_fresh_thread).result()
    return snapshot


def _engine_urn(urn: str) -> str:
    # The engine leaves the root stack out of a URN's type chain; the mock monitor does not.
    return urn.replace("::pulumi:pulumi:Stack$", "::")


def _link(snapshot: Snapshot, links: Mapping[str, Links]) -> None:
    """Give every recorded resource its URN, parent and dependencies (type and name identify it)."""
    by_identity = {(urn.split("::")[2].split("$")[-1], urn.split("::")[3]): urn for urn in links}
    snapshot.urns.extend(_engine_urn(urn) for urn in links)
    for index, resource in enumerate(snapshot.resources):
        urn = by_identity.get((resource.type, resource.name))
        if urn is None:
            continue
        link = links[urn]
        snapshot.resources[index] = dataclasses.replace(
            resource,
            urn=_engine_urn(urn),
            parent=_engine_urn(link.parent),
            dependencies=tuple(_engine_urn(dependency) for dependency in link.dependencies),
            property_dependencies={
                key: tuple(_engine_urn(urn) for urn in urns)
                for key, urns in link.property_dependencies.items()
            },
        )


def build_stack(
    environment: str,
    overrides: Mapping[str, str] | None = None,
    *,
    config_of: str | None = None,
    as_committed: bool = False,
    preview: bool = False,
) -> Snapshot:
    """The estate as `pulumi up` (or `preview`) of `environment` declares it.

    `config_of` builds the stack from another environment's configuration: the program must then
    declare exactly what that environment declares, apart from the environment's name.
    """
    from cloudmetrics_infra.estate import build_estate
    from cloudmetrics_infra.settings import StackSettings

    config = estate_config(config_of or environment, as_committed=as_committed)
    config |= overrides or {}

    def program() -> Mapping[str, pulumi.Output[Any]]:
        return build_estate(StackSettings.from_pulumi_config()).outputs

    return _run(
        "cloudmetrics",
        environment,
        config,
        program,
        region=config["aws:region"],
        account=config["cloudmetrics:accountId"],
        preview=preview,
    )


def build_bootstrap_stack(
    environment: str, overrides: Mapping[str, str] | None = None, *, preview: bool = False
) -> Snapshot:
    from cloudmetrics_bootstrap.bootstrap import build_bootstrap
    from cloudmetrics_bootstrap.settings import BootstrapSettings

    config = stack_config(INFRA / "bootstrap" / f"Pulumi.{environment}.yaml")
    config |= BOOTSTRAP_FILLED_IN[environment]
    config |= overrides or {}

    def program() -> Mapping[str, pulumi.Output[Any]]:
        return build_bootstrap(BootstrapSettings.from_pulumi_config()).outputs

    return _run(
        "cloudmetrics-bootstrap",
        environment,
        config,
        program,
        region=config["aws:region"],
        account=config["cloudmetrics-bootstrap:accountId"],
        preview=preview,
    )
