"""WireGuard source (Linux): tunnels connected, dropped, failed (README.md here).

``source.py`` is the source, ``settings.py`` its ``[sources.wireguard]`` table and
``sample.toml`` that table as the sample configuration shows it. Importing this package
loads none of them."""
