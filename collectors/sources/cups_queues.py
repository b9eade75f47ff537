"""The print server behind each local CUPS queue, from ``lpstat -v``.

Reads: ``env LC_ALL=C lpstat -v`` through the source's command runner, at most once per
:data:`LPSTAT_TTL_S` and only in a round that reports a print job. lpstat prints one
``device for <queue>: <device URI>`` line per queue (``show_devices`` in CUPS's
``systemv/lpstat.c``; an instance from lpoptions repeats its queue as
``<queue>/<instance>``, a ``file:`` device loses its scheme). The text is translated
(``Gerät für ...``, ``matériel pour ... :``), hence ``LC_ALL=C``. cupsd hands out the
device URI without its ``user:password@`` part (``cupsdSetDeviceURI``); the part before
an ``@`` is dropped here again all the same. Writes: nothing; :meth:`CupsQueues.printer`
gives the ``printer`` value of a print_job event: ``<queue>@<server>`` (CUPS's notation
of a remote queue, from which the engine's ``print_server`` takes the server) when the
queue's device is a print server, else the queue name unchanged.

What counts as a print server (:func:`print_server`), host lower-cased, port dropped:

* ``ipp``, ``ipps``, ``http``, ``https`` with a path under ``/printers/`` or
  ``/classes/``: a CUPS server's queue or a Windows print server's IPP share
  (``http://srv/printers/<share>/.printer``). Any other path (``/ipp/print``, ``/``)
  addresses a printer directly.
* ``smb``: always a Windows print server (``smb://[workgroup/]server[:port]/share``,
  Samba's smbspool(8); with a workgroup the server is the path's first part).
* ``lpd``: always, a spooler's queue (``lpd://server/queue``); a printer addressed
  directly over LPD is then shown as its own server.
* Everything else is direct or local: ``socket``, ``usb``, ``dnssd`` (found by local
  discovery; its host is a service name), ``file``, ``ipp://printer/ipp/print``, and a
  server on the loopback address.

Counted in ``unparsed`` (the job keeps its plain queue name): ``lpstat-unavailable``
(lpstat missing, failing, or no cupsd answering: ``Scheduler is not running``, ``No
destinations added``), ``lpstat-line-unrecognised`` (a line that is no ``device for``
line, e.g. translated), ``cups-queue-not-listed`` (a job's queue lpstat does not list:
removed since, a class, or added within :data:`LPSTAT_TTL_S`) and
``cups-device-uri-unreadable`` (a server URI whose host cannot be read safely).
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Callable

from xlapulse.collectors.sources.base import CommandRunner, SourceError
from xlapulse.collectors.sources.cups_jobs import MAX_PRINTER_CHARS
from xlapulse.collectors.sources.unparsed import Unparsed

LPSTAT_TTL_S = 300.0
LPSTAT_TIMEOUT_S = 10.0
DEVICE_LINE = re.compile(r"^device for (?P<queue>\S+?): (?P<uri>\S.*)$")
IPP_SCHEMES = frozenset({"ipp", "ipps", "http", "https"})
SPOOLER_SCHEMES = frozenset({"smb", "lpd"})
SERVER_PATHS = ("/printers/", "/classes/")
HOST_NAME = re.compile(r"[a-z0-9_.:-]{1,150}")  # a name, IPv4, or IPv6 without brackets


def print_server(uri: str) -> str | None:
    """The lower-cased host of the print server ``uri`` sends jobs through, or None for a
    printer addressed directly or a local device. Raises ValueError for a server URI
    whose host cannot be read safely (an ``@`` after the host: a password not encoded)."""
    scheme, found, rest = uri.strip().partition("://")
    scheme = scheme.lower()
    if not found or scheme not in IPP_SCHEMES | SPOOLER_SCHEMES:
        return None
    authority, _, path = rest.partition("/")
    path = "/" + path.split("?", 1)[0]
    if scheme in IPP_SCHEMES and not path.startswith(SERVER_PATHS):
        return None
    if "@" in path:
        raise ValueError("an '@' after the host")
    authority = authority.rpartition("@")[2]  # user:password@ never leaves the device
    parts = [part for part in path.split("/") if part]
    if scheme == "smb" and len(parts) >= 2:  # smb://workgroup/server/share
        authority = parts[0]
    host = _host(authority)
    return None if _is_loopback(host) else host


def _host(authority: str) -> str:
    if authority.startswith("["):  # [IPv6]:port
        host = authority[1:].partition("]")[0].lower()
    else:
        host = authority.partition(":")[0].lower()
    if not HOST_NAME.fullmatch(host):
        raise ValueError("a host that is no host name")
    return host


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_lpstat_devices(text: str, unparsed: Unparsed) -> dict[str, str]:
    """Queue name -> device URI of ``lpstat -v``'s output (an instance line adds a
    ``<queue>/<instance>`` name no job has); any other line is counted as
    ``lpstat-line-unrecognised``."""
    devices: dict[str, str] = {}
    for line in text.split("\n"):
        if not line.strip():
            continue
        matched = DEVICE_LINE.match(line.strip())
        if matched is None:
            unparsed.add("lpstat-line-unrecognised", line)
        else:
            devices[matched["queue"]] = matched["uri"]
    return devices


class CupsQueues:
    """Resolves queue names to printer values; ``lpstat`` empty: never runs, names kept."""

    def __init__(
        self,
        lpstat: str,
        runner: CommandRunner,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.argv = ["env", "LC_ALL=C", lpstat, "-v"] if lpstat else []
        self.runner = runner
        self.clock = clock
        self.read_at: float | None = None
        self.devices: dict[str, str] | None = None
        self.failure = ""

    def printer(self, queue: str, unparsed: Unparsed) -> str:
        """``<queue>@<server>`` when the queue's device is a print server, else ``queue``;
        a queue that cannot be resolved is counted in ``unparsed``. A name that already
        holds an ``@`` (a remote queue, ``mfp@srv``) is kept as it is."""
        if not self.argv or "@" in queue:
            return queue
        devices = self._devices(unparsed)
        if devices is None:
            unparsed.add("lpstat-unavailable", self.failure)
            return queue
        uri = devices.get(queue)
        if uri is None:
            unparsed.add("cups-queue-not-listed", f"queue {queue}")
            return queue
        try:
            server = print_server(uri)
        except ValueError as error:
            unparsed.add("cups-device-uri-unreadable", f"queue {queue}: {error}")
            return queue
        if server is None:
            return queue
        return f"{queue[: MAX_PRINTER_CHARS - len(server) - 1]}@{server}"

    def _devices(self, unparsed: Unparsed) -> dict[str, str] | None:
        now = self.clock()
        if self.read_at is not None and now - self.read_at < LPSTAT_TTL_S:
            return self.devices
        self.read_at = now
        try:
            output = self.runner(self.argv, LPSTAT_TIMEOUT_S)
        except (SourceError, OSError) as error:
            self.devices, self.failure = None, str(error)
            return None
        self.devices = parse_lpstat_devices(output, unparsed)
        return self.devices
