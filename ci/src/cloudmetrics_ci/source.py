"""The repository directory handed to every function, and what is left out of it."""

from typing import Annotated, Final

import dagger
from dagger import DefaultPath, Doc, Ignore

# Local environments, caches and build output never enter a container: they
# would bloat the upload and change cache keys on every run.
SOURCE_IGNORE: Final = [
    ".git",
    ".venv",
    ".tools",
    "ci/sdk",
    "**/__pycache__",
    "**/*.py[cod]",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    ".hypothesis",
    "build",
    "dist",
    "benchmarks/results",
    # Pulumi's virtualenvs (the program's and the policy pack's).
    "infra/**/venv",
    # The front end's installed packages and build output: npm ci and make rebuild them.
    "web/node_modules",
    "web/dist",
]

Source = Annotated[
    dagger.Directory,
    DefaultPath("."),
    Ignore(SOURCE_IGNORE),
    Doc("The CloudMetrics repository (defaults to the directory holding dagger.json)."),
]
