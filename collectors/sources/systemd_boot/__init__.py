"""systemd boot source (Linux): the last start-up's duration (README.md here).

``source.py`` is the source, ``settings.py`` its ``[sources.systemd_boot]`` table and
``sample.toml`` that table as the sample configuration shows it. Importing this package
loads none of them."""
