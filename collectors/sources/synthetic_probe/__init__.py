"""Synthetic probe source: timed HTTP transactions against the user's apps (README.md here).

``source.py`` is the source, ``settings.py`` its ``[sources.synthetic_probe]`` table and
``sample.toml`` that table as the sample configuration shows it. Importing this package
loads none of them."""
