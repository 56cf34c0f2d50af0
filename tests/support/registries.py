"""Real image registries and tools for the promotion tests: Debian's `docker-registry` (Docker's
distribution registry) on loopback, podman to build and push images, skopeo to copy them.

The registries speak plain HTTP on loopback. skopeo learns that from a registries.conf marking
them insecure, passed by a `skopeo` wrapper first on PATH, so the promotion script runs exactly
as the deploy step runs it. (Debian's skopeo 1.9 does not read CONTAINERS_REGISTRIES_CONF.)
"""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Generator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.debian_programs import ensure_program
from tests.support.ports import free_port

REPOSITORY = Path(__file__).resolve().parents[2]
# The project's podman configuration (runc, ulimits within this machine kind's limits).
CONTAINERS_CONF = REPOSITORY / "scripts" / "replay" / "containers.conf"
DOCKER_REGISTRY = Path("/usr/bin/docker-registry")
SKOPEO = Path("/usr/bin/skopeo")
PODMAN = Path("/usr/bin/podman")
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


def podman(*args: str) -> str:
    ensure_program(PODMAN, "podman")
    env = {"CONTAINERS_CONF": str(CONTAINERS_CONF), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    completed = subprocess.run(
        [str(PODMAN), *args], env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"podman {' '.join(args)}: {completed.stderr}")
    return completed.stdout


def push_built_image(work: Path, content: str, reference: str) -> None:
    """Build a one-file image with podman (no base image needed) and push it to `reference`."""
    context = work / f"image-{abs(hash(content))}"
    context.mkdir(parents=True)
    (context / "content.txt").write_text(content)
    (context / "Containerfile").write_text("FROM scratch\nCOPY content.txt /content.txt\n")
    name = f"localhost/cloudmetrics-promotion-test:{abs(hash((content, str(work))))}"
    podman("build", "--quiet", "--tag", name, str(context))
    try:
        podman("push", "--quiet", "--tls-verify=false", name, f"docker://{reference}")
    finally:
        podman("rmi", "--force", name)
