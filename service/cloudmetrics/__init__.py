"""CloudMetrics API service: metric ingest and query on PostgreSQL and Redis."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cloudmetrics")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
