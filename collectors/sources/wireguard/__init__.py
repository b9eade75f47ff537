"""WireGuard source (Linux, Windows): tunnels connected, dropped, failed (README.md here).

``source.py`` is the source reading ``wg show all dump`` and builds the one configured;
``log_source.py`` reads WireGuard for Windows' ring log instead (``ringlog.py`` the file,
``tunnel_log.py`` its tunnel lines, ``gateway.py`` the vpn_gateway both give);
``settings.py`` is its ``[sources.wireguard]`` table and ``sample.toml`` that table as the
sample configuration shows it. Importing this package loads none of them."""
