"""Windows event log source: boot, logon, VPN, print and app events (README.md here).

``source.py`` is the source, ``settings.py`` its ``[sources.windows_eventlog]`` table and
``sample.toml`` that table as the sample configuration shows it. Importing this package
loads none of them."""
