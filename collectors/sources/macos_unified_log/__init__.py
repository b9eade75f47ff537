"""macOS unified log source: boot, nesessionmanager VPN, cupsd print jobs (README.md here).

``source.py`` is the source, ``settings.py`` its ``[sources.macos_unified_log]`` table and
``sample.toml`` that table as the sample configuration shows it. Importing this package
loads none of them."""
