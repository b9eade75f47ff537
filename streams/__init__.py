"""Processors of xlapulse events: pure scoring code, Faust agents and sinks.

``scoring`` never imports Faust or InfluxDB, so the embedded demo and the unit
tests run the same code the workers run."""
