"""Infra tests: build each stack once under Pulumi's mocks and share what it declared."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

INFRA = Path(__file__).resolve().parents[2] / "infra"
# The Pulumi programs import their packages relative to their own directories (infra/ itself is
# on pytest's pythonpath; the bootstrap's __main__.py adds infra/ the same way).
if str(INFRA / "bootstrap") not in sys.path:
    sys.path.append(str(INFRA / "bootstrap"))

from tests.infra.mock_cloud import ENVIRONMENTS, Snapshot  # noqa: E402 -- needs the paths above
from tests.infra.stack_builds import build_bootstrap_stack, build_stack  # noqa: E402


@pytest.fixture(scope="session")
def stacks() -> dict[str, Snapshot]:
    """What dev, staging and prod declare, each built from its Pulumi.<env>.yaml."""
    return {environment: build_stack(environment) for environment in ENVIRONMENTS}


@pytest.fixture(scope="session", params=ENVIRONMENTS)
def stack(request: pytest.FixtureRequest, stacks: dict[str, Snapshot]) -> Snapshot:
    """Each environment in turn: a promise must hold in all three."""
    environment: str = request.param
    return stacks[environment]


@pytest.fixture(scope="session")
def bootstraps() -> dict[str, Snapshot]:
    """The bootstrap of each environment's account, from infra/bootstrap/Pulumi.<env>.yaml."""
    return {environment: build_bootstrap_stack(environment) for environment in ENVIRONMENTS}


@pytest.fixture(scope="session")
def shared_account_bootstrap() -> Snapshot:
    """One account hosting two environments: their keys and roles must stay apart."""
    return build_bootstrap_stack(
        "dev", {"cloudmetrics-bootstrap:environments": '["dev", "staging"]'}
    )
