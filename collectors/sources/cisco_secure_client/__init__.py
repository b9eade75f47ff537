"""Cisco Secure Client (AnyConnect) source: VPN connected, dropped, failed (README.md here).

``source.py`` is the source, ``settings.py`` its ``[sources.cisco_secure_client]`` table
and ``sample.toml`` that table as the sample configuration shows it. Importing this
package loads none of them."""
