"""Real image registries and tools for the promotion tests: Debian's `docker-registry` (Docker's
distribution registry) on loopback and skopeo to push and copy images.

The registries speak plain HTTP on loopback. skopeo learns that from a registries.conf marking
them insecure, passed by a `skopeo` wrapper first on PATH, so the promotion script runs exactly
as the deploy step runs it. (Debian's skopeo 1.9 does not read CONTAINERS_REGISTRIES_CONF.)
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
import time
import urllib.error
import urllib.request
from collections.abc import Generator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.debian_programs import ensure_program
from tests.support.ports import free_port

DOCKER_REGISTRY = Path("/usr/bin/docker-registry")
SKOPEO = Path("/usr/bin/skopeo")
ACCEPT = ", ".join(
    [
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ]
)


@dataclass(frozen=True)
class Registry:
    host: str
    """`127.0.0.1:<port>`"""

    def get(self, path: str) -> tuple[int, bytes]:
        # A registry serves a manifest only in a media type the client says it accepts.
        request = urllib.request.Request(f"http://{self.host}{path}", headers={"Accept": ACCEPT})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


@contextmanager
def registry(work: Path) -> Generator[Registry]:
    """A docker-registry with its own storage on a free loopback port, stopped at the end."""
    ensure_program(DOCKER_REGISTRY, "docker-registry")
    host = f"127.0.0.1:{free_port()}"
    (work / "storage").mkdir(parents=True)
    config = work / "config.yml"
    config.write_text(
        "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
        f"    rootdirectory: {work / 'storage'}\nhttp:\n  addr: {host}\n"
    )
    with (work / "registry.log").open("w") as log:
        process = subprocess.Popen([DOCKER_REGISTRY, "serve", config], stdout=log, stderr=log)
    try:
        found = Registry(host)
        deadline = time.monotonic() + 15
        while True:
            try:
                if found.get("/v2/")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"docker-registry did not start: {(work / 'registry.log').read_text()}"
                )
            time.sleep(0.1)
        yield found
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def two_registries(work: Path) -> Generator[tuple[Registry, Registry]]:
    with ExitStack() as stack:
        yield (
            stack.enter_context(registry(work / "source")),
            stack.enter_context(registry(work / "destination")),
        )


def skopeo_on_path(work: Path, registries: list[Registry]) -> Path:
    """A bin directory whose `skopeo` is Debian's, told the registries speak plain HTTP."""
    ensure_program(SKOPEO, "skopeo")
    conf = work / "registries.conf"
    conf.write_text(
        "".join(f'[[registry]]\nlocation = "{r.host}"\ninsecure = true\n' for r in registries)
    )
    bin_dir = work / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "skopeo"
    wrapper.write_text(f'#!/bin/sh\nexec {SKOPEO} --registries-conf {conf} "$@"\n')
    wrapper.chmod(0o755)
    return bin_dir


def push_image(work: Path, content: str, reference: str) -> None:
    """A one-file OCI image (no base image needed), pushed to `reference` by skopeo.

    The image is written as an OCI layout here rather than built by podman: the suite also
    runs inside the check container, where no container engine can run.
    """
    layout = work / f"layout-{hashlib.sha256(content.encode()).hexdigest()[:12]}"
    blobs = layout / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w") as archive:
        data = content.encode()
        member = tarfile.TarInfo("content.txt")
        member.size = len(data)
        archive.addfile(member, io.BytesIO(data))
    layer_digest = _blob(blobs, layer.getvalue())
    config = {
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{layer_digest[1]}"]},
        "config": {},
    }
    config_digest = _blob(blobs, json.dumps(config).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": _descriptor("application/vnd.oci.image.config.v1+json", config_digest),
        "layers": [_descriptor("application/vnd.oci.image.layer.v1.tar", layer_digest)],
    }
    manifest_digest = _blob(blobs, json.dumps(manifest).encode())
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                **_descriptor("application/vnd.oci.image.manifest.v1+json", manifest_digest),
                "annotations": {"org.opencontainers.image.ref.name": "latest"},
            }
        ],
    }
    (layout / "index.json").write_text(json.dumps(index))
    (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    subprocess.run(
        [
            str(SKOPEO),
            "copy",
            "--quiet",
            "--dest-tls-verify=false",
            f"oci:{layout}:latest",
            f"docker://{reference}",
        ],
        check=True,
        capture_output=True,
    )


def _blob(blobs: Path, data: bytes) -> tuple[int, str]:
    digest = hashlib.sha256(data).hexdigest()
    (blobs / digest).write_bytes(data)
    return len(data), digest


def _descriptor(media_type: str, blob: tuple[int, str]) -> dict[str, object]:
    return {"mediaType": media_type, "digest": f"sha256:{blob[1]}", "size": blob[0]}
