"""Metric points: ingest, the metric catalogue and series queries (docs/api.md)."""
