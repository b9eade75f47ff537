"""macOS console sessions source: signed in, locked, unlocked, signed out (README.md here).

``source.py`` runs ``ioreg`` each round and builds the events; ``console_users.py`` reads
the ``IOConsoleUsers`` sessions out of its output; ``tracker.py`` compares them with the
last round; ``settings.py`` is its ``[sources.macos_console_users]`` table and
``sample.toml`` that table as the sample configuration shows it. Importing this package
loads none of them."""
