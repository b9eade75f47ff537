"""Grafana dashboards as code (grafana-foundation-sdk, Grafana 11.6 schema).

``main.py`` assembles and writes ``generated/*.json``; ``common.py`` holds house
defaults; ``influxql.py`` is the InfluxQL query type the SDK lacks; one module
per dashboard with one small function per panel."""
