"""Prometheus remote write 1.0, remote read (SAMPLES responses) and its label discovery API."""
