"""Build the real programs under mocks: each stack from its own Pulumi.<stack>.yaml.

Each build runs in a thread of its own: Pulumi keeps its runtime state (root stack, settings,
event loop) per thread/context, so three stacks build one after another without leaking into
each other or into pytest-asyncio's loop.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime.mocks import MockMonitor

from tests.infra.mock_cloud import IMAGE_TAG, INFRA, RecordingMocks, Snapshot


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


def _run(
    project: str,
    environment: str,
    config: Mapping[str, str],
    region: str,
    account: str,
    program: Callable[[], Mapping[str, pulumi.Output[Any]]],
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
        mocks = RecordingMocks(snapshot, region, account)
        monitor = MockMonitor(mocks)
        pulumi.runtime.set_mocks(
            mocks,
            project=project,
            stack=environment,
            preview=False,
            monitor=monitor,
        )
        pulumi.runtime.set_all_config(dict(config))

        # pulumi's test decorator carries no type hints.
        @pulumi.runtime.test  # pyright: ignore[reportUnknownMemberType]
        def declare() -> pulumi.Output[Any]:
            # Returning the gathered outputs makes the test runner wait for every one of them.
            return pulumi.Output.all(**program()).apply(snapshot.outputs.update)

        declare()
        # The engine leaves the root stack out of a URN's type chain; the mock monitor does not.
        snapshot.urns.extend(
            urn.replace("::pulumi:pulumi:Stack$", "::")
            for urn in monitor.get_registered_resources()
        )

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(in_fresh_thread).result()
    return snapshot


def build_stack(environment: str, overrides: Mapping[str, str] | None = None) -> Snapshot:
    from cloudmetrics_infra.estate import build_estate
    from cloudmetrics_infra.settings import StackSettings

    config = stack_config(INFRA / f"Pulumi.{environment}.yaml")
    config["cloudmetrics:imageTag"] = IMAGE_TAG
    config |= overrides or {}

    def program() -> Mapping[str, pulumi.Output[Any]]:
        return build_estate(StackSettings.from_pulumi_config()).outputs

    return _run(
        "cloudmetrics",
        environment,
        config,
        config["aws:region"],
        config["cloudmetrics:accountId"],
        program,
    )


def build_bootstrap_stack(environment: str, overrides: Mapping[str, str] | None = None) -> Snapshot:
    from cloudmetrics_bootstrap.bootstrap import build_bootstrap
    from cloudmetrics_bootstrap.settings import BootstrapSettings

    config = stack_config(INFRA / "bootstrap" / f"Pulumi.{environment}.yaml")
    config |= overrides or {}

    def program() -> Mapping[str, pulumi.Output[Any]]:
        return build_bootstrap(BootstrapSettings.from_pulumi_config()).outputs

    return _run(
        "cloudmetrics-bootstrap",
        environment,
        config,
        config["aws:region"],
        config["cloudmetrics-bootstrap:accountId"],
        program,
    )
