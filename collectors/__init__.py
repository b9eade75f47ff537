"""Producers of xlapulse events: the event contract, the workplace collector,
Kafka delivery and the fleet simulator. Installs without Faust or Grafana."""
