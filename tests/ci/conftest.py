"""Fixtures for the offline checks of the Dagger module's graphs.

Nothing here connects to a Dagger engine: the SDK records every selection
lazily, and the tests only read those records.
"""

import sys
from pathlib import Path

import dagger
import pytest
from dagger import dag

REPOSITORY = Path(__file__).resolve().parents[2]
# The module lives in its own project (ci/); its package is imported from source.
sys.path.insert(0, str(REPOSITORY / "ci" / "src"))

from cloudmetrics_ci import CloudmetricsCi  # noqa: E402


@pytest.fixture
def source() -> dagger.Directory:
    return dag.host().directory(str(REPOSITORY))


@pytest.fixture
def module(source: dagger.Directory) -> CloudmetricsCi:
    return CloudmetricsCi(source=source)
