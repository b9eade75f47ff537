"""Fault tests use the integration tests' real Kafka and InfluxDB (the same session fixture)."""

from tests.integration.conftest import services  # noqa: F401  (re-exported fixture)
