"""The policy pack as the Pulumi CLI runs it: its own virtualenv, its own server, over gRPC.

For a Python pack (PulumiPolicy.yaml: runtime python, virtualenv venv) the CLI starts
`<pack>/venv/bin/python -u -m pulumi.policy <engine address> <pack dir>`: pulumi's policy entry
point runs the pack's __main__.py, whose PolicyPack starts a gRPC Analyzer server on a free
port of 127.0.0.1 and prints the port on stdout. The engine then calls GetAnalyzerInfo, Analyze
(one resource's inputs) and AnalyzeStack (every resource's outputs). `make policy-pack` builds
the virtualenv from the pack's hash-pinned requirements.txt, as the CLI's pip toolchain would.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Generator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from tests.infra.mock_cloud import INFRA, Resource, Snapshot

PACK = INFRA / "policy_pack"
PACK_PYTHON = PACK / "venv" / "bin" / "python"
# Nothing in the pack talks back to an engine unless a policy logs; none does.
ENGINE_ADDRESS = "127.0.0.1:0"
STARTUP_SECONDS = 60


@dataclass(frozen=True)
class Pack:
    """The engine's side of the Analyzer service, typed (the generated stub is not)."""

    stub: Any

    def info(self) -> analyzer_pb2.AnalyzerInfo:
        return cast("analyzer_pb2.AnalyzerInfo", self.stub.GetAnalyzerInfo(empty_pb2.Empty()))

    def analyze(self, request: analyzer_pb2.AnalyzeRequest) -> analyzer_pb2.AnalyzeResponse:
        return cast("analyzer_pb2.AnalyzeResponse", self.stub.Analyze(request))

    def analyze_stack(
        self, request: analyzer_pb2.AnalyzeStackRequest
    ) -> analyzer_pb2.AnalyzeResponse:
        return cast("analyzer_pb2.AnalyzeResponse", self.stub.AnalyzeStack(request))


@contextmanager
def policy_pack_server() -> Generator[Pack]:
    if not PACK_PYTHON.exists():
        raise FileNotFoundError(f"{PACK_PYTHON} is missing: `make policy-pack` builds it")
    # The pack's process sees no variable of this one (the suite's PYTHONPATH, say): only
    # what the CLI passes a plugin.
    environment = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    process = subprocess.Popen(
        [str(PACK_PYTHON), "-u", "-m", "pulumi.policy", ENGINE_ADDRESS, str(PACK)],
        cwd=PACK,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode().strip()
        if not line.isdigit():
            process.kill()
            _, errors = process.communicate(timeout=STARTUP_SECONDS)
            raise RuntimeError(f"the policy pack did not start: {line!r} {errors.decode()}")
        with grpc.insecure_channel(f"127.0.0.1:{line}") as channel:
            grpc.channel_ready_future(channel).result(timeout=STARTUP_SECONDS)
            yield Pack(analyzer_pb2_grpc.AnalyzerStub(channel))
    finally:
        process.kill()
        process.wait(timeout=STARTUP_SECONDS)


def _struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    # Recorded values are JSON already, but for the odd tuple: as the engine would serialise it.
    message.update(json.loads(json.dumps(dict(values), default=list)))
    return message


def _provider(
    snapshot: Snapshot, resource: Resource
) -> analyzer_pb2.AnalyzerProviderResource | None:
    if not resource.provider:
        return None
    urn = resource.provider.rpartition("::")[0].replace("::pulumi:pulumi:Stack$", "::")
    found = [r for r in snapshot.resources if r.urn == urn]
    if not found:
        return None
    return analyzer_pb2.AnalyzerProviderResource(
        type=found[0].type, properties=_struct(found[0].inputs), urn=urn, name=found[0].name
    )


def analyze_request(
    snapshot: Snapshot, resource: Resource, properties: Mapping[str, Any]
) -> analyzer_pb2.AnalyzeRequest:
    return analyzer_pb2.AnalyzeRequest(
        type=resource.type,
        properties=_struct(properties),
        urn=resource.urn,
        name=resource.name,
        options=analyzer_pb2.AnalyzerResourceOptions(parent=resource.parent),
        provider=_provider(snapshot, resource),
    )


def analyze_stack_request(snapshot: Snapshot) -> analyzer_pb2.AnalyzeStackRequest:
    resources = [
        analyzer_pb2.AnalyzerResource(
            type=resource.type,
            properties=_struct(resource.state),
            urn=resource.urn,
            name=resource.name,
            options=analyzer_pb2.AnalyzerResourceOptions(parent=resource.parent),
            provider=_provider(snapshot, resource),
            parent=resource.parent,
            dependencies=list(resource.dependencies),
            propertyDependencies={
                key: analyzer_pb2.AnalyzerPropertyDependencies(urns=list(urns))
                for key, urns in resource.property_dependencies.items()
            },
        )
        for resource in snapshot.resources
        if not resource.type.startswith("pulumi:")
    ]
    return analyzer_pb2.AnalyzeStackRequest(resources=resources)


def mandatory(response: analyzer_pb2.AnalyzeResponse) -> list[tuple[str, str]]:
    """(policy, message) of every diagnostic that fails a run."""
    return [
        (diagnostic.policyName, diagnostic.message)
        for diagnostic in response.diagnostics
        if diagnostic.enforcementLevel == analyzer_pb2.MANDATORY
    ]
