"""The protocols metrics tools already speak, each decoded into the points our own API takes.

Every protocol ends in `ingest.write_samples`: the shared checks of metrics/validation.py and
the one write path, `metrics.operations.ingest` (docs/adr/0025).
"""
