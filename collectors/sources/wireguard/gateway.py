"""The vpn_gateway of a WireGuard peer, the same for ``wg show all dump`` and the ring log.

Reads and writes nothing: ``<interface> (<endpoint host>)``, the interface alone when the
endpoint is not known (a wireguard-go line names the peer by key, not endpoint); on
Windows the interface is the tunnel's name.
"""

from __future__ import annotations

MAX_GATEWAY_CHARS = 200


def gateway(interface: str, endpoint: str | None) -> str:
    """``wg0 (203.0.113.7)`` of ``wg0`` and ``203.0.113.7:51820`` (IPv6 without brackets)."""
    host = (endpoint or "").rsplit(":", 1)[0].strip("[]")
    return (f"{interface} ({host})" if host else interface)[:MAX_GATEWAY_CHARS]
