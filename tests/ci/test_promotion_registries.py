"""Promotion's copy against real registries: the script the deploy step runs, with skopeo,
between two docker-registry instances on loopback.

An engine's `from_(source@digest)` then `publish` re-exports an image under a new digest; this
copy must keep the manifest's bytes, and refuse before it writes anything when the source's
revision tag does not name the digest the deploy looked up.
"""

import hashlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cloudmetrics_ci.promotion import SOURCE_MOVED, promote_command

from tests.support.registries import Registry, push_image, skopeo_on_path, two_registries

REVISION = "fedcba9876543210fedcba9876543210fedcba98"


@pytest.fixture
def registries(tmp_path: Path) -> Iterator[tuple[Registry, Registry]]:
    with two_registries(tmp_path) as pair:
        yield pair


def manifest(registry: Registry, repository: str, reference: str) -> bytes:
    status, body = registry.get(f"/v2/{repository}/manifests/{reference}")
    assert status == 200, body
    return body


def digest_of(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def promote(
    tmp_path: Path, source: Registry, destination: Registry, digest: str
) -> subprocess.CompletedProcess[str]:
    bin_dir = skopeo_on_path(tmp_path, [source, destination])
    command = promote_command(
        f"{source.host}/cloudmetrics", digest, f"{destination.host}/cloudmetrics", REVISION
    )
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)


def test_the_copy_keeps_the_manifest_bytes_and_digest(
    tmp_path: Path, registries: tuple[Registry, Registry]
) -> None:
    source, destination = registries
    push_image(tmp_path, "release one", f"{source.host}/cloudmetrics:{REVISION}")
    original = manifest(source, "cloudmetrics", REVISION)
    digest = digest_of(original)

    copied = promote(tmp_path, source, destination, digest)

    assert copied.returncode == 0, copied.stderr
    assert copied.stdout.strip().splitlines()[-1] == digest
    assert manifest(destination, "cloudmetrics", REVISION) == original
    assert manifest(destination, "cloudmetrics", digest) == original


def test_a_source_tag_naming_another_digest_is_refused_with_nothing_written(
    tmp_path: Path, registries: tuple[Registry, Registry]
) -> None:
    source, destination = registries
    push_image(tmp_path, "release one", f"{source.host}/cloudmetrics:{REVISION}")
    looked_up = digest_of(manifest(source, "cloudmetrics", REVISION))
    # The tag now names another image than the one the deploy looked up.
    push_image(tmp_path, "something else", f"{source.host}/cloudmetrics:{REVISION}")
    assert digest_of(manifest(source, "cloudmetrics", REVISION)) != looked_up

    refused = promote(tmp_path, source, destination, looked_up)

    assert refused.returncode == SOURCE_MOVED, refused.stderr
    assert "nothing was copied" in refused.stderr
    assert destination.get("/v2/_catalog") == (200, b'{"repositories":[]}\n')
