"""Zoom QoS source: call quality per participant and stream (README.md here).

``source.py`` is the source, ``settings.py`` its ``[sources.zoom_qos]`` table and
``sample.toml`` that table as the sample configuration shows it. Importing this package
loads none of them."""
