"""Microsoft Graph callRecords source: call quality per media stream (README.md here).

``source.py`` is the source, ``settings.py`` its ``[sources.graph_call_records]`` table and
``sample.toml`` that table as the sample configuration shows it. Importing this package
loads none of them."""
