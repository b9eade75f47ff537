"""journald source (Linux): logind sign-ins, NetworkManager VPN, cupsd print jobs (README.md here).

``source.py`` is the source, ``settings.py`` its ``[sources.journald]`` table and
``sample.toml`` that table as the sample configuration shows it. Importing this package
loads none of them."""
