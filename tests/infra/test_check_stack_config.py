"""`python infra/check_stack_config.py --stack <env>`: the deploy's first step refuses
placeholders, naming every offending key, and accepts a filled-in stack file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.infra.mock_cloud import ENVIRONMENTS, INFRA
from tests.infra.stack_builds import BOOTSTRAP_FILLED_IN, FILLED_IN

SCRIPT = INFRA / "check_stack_config.py"


def check(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *arguments],
        capture_output=True,
        text=True,
        check=False,
        cwd=INFRA.parent,
    )


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_committed_stack_files_are_refused_key_by_key(environment: str) -> None:
    result = check("--stack", environment)
    assert result.returncode == 1
    named = {line.split(": ")[1] for line in result.stderr.splitlines()}
    # prod's images are promoted nowhere: its file says "none", which is no placeholder.
    promotes: set[str] = (
        {"cloudmetrics:nextEnvironmentAccountId"} if environment != "prod" else set()
    )
    assert named == {
        "cloudmetrics:accountId",
        "cloudmetrics:hostedZoneId",
        "cloudmetrics:domainName",
        "cloudmetrics:alarmEmail",
        *promotes,
    }


def filled_in_copy(tmp_path: Path, source: Path, values: dict[str, str]) -> Path:
    document: dict[str, Any] = yaml.safe_load(source.read_text())
    document["config"] |= values
    target = tmp_path / source.name
    target.write_text(yaml.safe_dump(document))
    return target


def test_a_filled_in_stack_file_passes(tmp_path: Path) -> None:
    source = INFRA / "Pulumi.prod.yaml"
    result = check(
        "--stack", "prod", "--file", str(filled_in_copy(tmp_path, source, FILLED_IN["prod"]))
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_invalid_values_behind_the_placeholders_are_refused_too(tmp_path: Path) -> None:
    values = FILLED_IN["dev"] | {"cloudmetrics:vpcCidr": "10.10.0.0/24"}
    path = filled_in_copy(tmp_path, INFRA / "Pulumi.dev.yaml", values)
    result = check("--stack", "dev", "--file", str(path))
    assert result.returncode == 1
    assert "cloudmetrics:vpcCidr" in result.stderr


def test_bootstrap_stack_files_are_checked_as_well(tmp_path: Path) -> None:
    assert check("--stack", "dev", "--program", "bootstrap").returncode == 1
    source = INFRA / "bootstrap" / "Pulumi.dev.yaml"
    path = filled_in_copy(tmp_path, source, BOOTSTRAP_FILLED_IN["dev"])
    assert check("--stack", "dev", "--program", "bootstrap", "--file", str(path)).returncode == 0


def test_an_unknown_stack_is_a_usage_error() -> None:
    result = check("--stack", "qa")
    assert result.returncode == 2
    assert "qa" in result.stderr
