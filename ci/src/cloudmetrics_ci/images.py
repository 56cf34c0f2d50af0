"""Every container image the pipeline pulls, pinned by version in one place.

A floating tag (`latest`, `16`) would let a rebuild of the same commit pick up a
different base; bumping a version here is a reviewed change instead.
"""

from typing import Final

# The service targets Python 3.11 (the lock files are compiled for it).
PYTHON: Final = "python:3.11.14-slim-bookworm"
# The full variant brings make, git and compilers for the lint and test runs.
PYTHON_TOOLING: Final = "python:3.11.14-bookworm"
# uv is copied out of its own image; the version matches the Makefile's UV_VERSION.
UV: Final = "ghcr.io/astral-sh/uv:0.13.9"
# Node.js and npm for the dashboard's front end (web/package.json wants node >= 20),
# copied out of the official image: Debian bookworm's own nodejs is 18.
NODE: Final = "node:20.20.2-bookworm-slim"

# Production runs PostgreSQL 16 and Redis 7: checks and the local stack do too.
# The check containers install the client tools of the same major version.
POSTGRES_MAJOR: Final = 16
POSTGRES: Final = f"postgres:{POSTGRES_MAJOR}.10-bookworm"
REDIS: Final = "redis:7.4.5-bookworm"
# Single-node KRaft broker for the local stack (no ZooKeeper).
KAFKA: Final = "apache/kafka:4.1.0"

# The Pulumi CLI matches the `pulumi` package pinned in infra/requirements.txt. The
# per-Python variant: the unsuffixed pulumi/pulumi-python runs the image's default Python
# (3.13 at 3.272), while infra's locks and tests target 3.11.
PULUMI_PYTHON_VERSION: Final = "3.11"
PULUMI: Final = f"pulumi/pulumi-python-{PULUMI_PYTHON_VERSION}:3.272.0"
AWS_CLI: Final = "amazon/aws-cli:2.31.0"
# Promotion copies images registry to registry with their manifests' bytes (promotion.py).
SKOPEO: Final = "quay.io/skopeo/stable:v1.18.0"
