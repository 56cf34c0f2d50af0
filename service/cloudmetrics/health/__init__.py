"""Liveness and readiness in the IETF health-check response format."""
