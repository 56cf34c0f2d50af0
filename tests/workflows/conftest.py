"""Fixtures for the workflow tests: the parsed workflow files of this repository."""

from pathlib import Path
from typing import Any, cast

import pytest
import yaml

REPOSITORY = Path(__file__).resolve().parents[2]
WORKFLOWS = REPOSITORY / ".github" / "workflows"


def load(path: Path) -> dict[str, Any]:
    loaded: object = yaml.safe_load(path.read_text())
    assert isinstance(loaded, dict), path
    document = cast(dict[Any, Any], loaded)
    # YAML 1.1 reads the bare key `on` as the boolean True.
    if True in document:
        document["on"] = document.pop(True)
    return document


@pytest.fixture(scope="session")
def workflows() -> dict[str, dict[str, Any]]:
    files = sorted(WORKFLOWS.glob("*.yml")) + sorted(WORKFLOWS.glob("*.yaml"))
    assert files, "no workflow files"
    return {path.name: load(path) for path in files}
