"""OTLP/HTTP metrics (protobuf and JSON), translated by the OpenTelemetry-to-Prometheus rules."""
