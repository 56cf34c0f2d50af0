"""CloudMetrics API service."""
