"""CUPS error_log source (Linux, macOS): print jobs printed or failed (README.md here).

``source.py`` is the source, ``settings.py`` its ``[sources.cups_error_log]`` table and
``sample.toml`` that table as the sample configuration shows it. Importing this package
loads none of them."""
