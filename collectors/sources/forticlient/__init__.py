"""Fortinet FortiClient source: VPN connected and failed (README.md here).

``source.py`` is the source, ``settings.py`` its ``[sources.forticlient]`` table and
``sample.toml`` that table as the sample configuration shows it. Importing this package
loads none of them."""
