"""ci/requirements.lock: what the Dagger runtime installs beside its vendored SDK."""

import re
import subprocess
import tomllib

from tests.ci.conftest import REPOSITORY


def pins(text: str) -> dict[str, str]:
    found = re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", text, re.MULTILINE)
    return {name.lower(): version for name, version in found}


def test_lock_is_hash_pinned_and_leaves_the_sdk_to_the_runtime() -> None:
    lock = (REPOSITORY / "ci" / "requirements.lock").read_text()
    module_pins = pins(lock)
    assert "anyio" in module_pins
    assert "gql" in module_pins
    # The runtime installs dagger-io from the SDK it vendors into ci/sdk/.
    assert "dagger-io" not in module_pins
    blocks = [block for block in re.split(r"\n(?=[A-Za-z])", lock) if "==" in block]
    assert all("--hash=sha256:" in block for block in blocks)


def test_lock_agrees_with_the_dev_environment_the_module_is_tested_in() -> None:
    module_pins = pins((REPOSITORY / "ci" / "requirements.lock").read_text())
    dev_pins = pins((REPOSITORY / "requirements" / "dev.txt").read_text())
    assert dev_pins["dagger-io"] == "0.21.11"
    disagreeing = {
        name: (version, dev_pins.get(name))
        for name, version in module_pins.items()
        if dev_pins.get(name) != version
    }
    assert disagreeing == {}


def test_module_project_depends_on_the_vendored_sdk() -> None:
    project = tomllib.loads((REPOSITORY / "ci" / "pyproject.toml").read_text())
    assert "dagger-io" in project["project"]["dependencies"]
    assert project["tool"]["uv"]["sources"]["dagger-io"] == {"path": "sdk", "editable": True}
    # The runtime imports the package named after the module.
    assert project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == [
        "src/cloudmetrics_ci"
    ]


def test_make_ci_lock_restores_the_hashed_lock_dagger_develop_rewrites() -> None:
    # `dagger develop` recompiles requirements.lock without hashes; `make ci-lock` is the
    # documented way back, and must write the same file the test above checks.
    planned = subprocess.run(
        ["make", "--dry-run", "ci-lock"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.replace("\\\n", " ")
    compile_line = next(line for line in planned.splitlines() if "pip compile" in line)
    assert compile_line.startswith("cd ci && ")
    for flag in ("--generate-hashes", "--no-emit-package dagger-io", "-o requirements.lock"):
        assert flag in compile_line, flag
    header = (REPOSITORY / "ci" / "requirements.lock").read_text().splitlines()[1]
    assert "--generate-hashes" in header
