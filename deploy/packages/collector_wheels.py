"""Wheels of the collector install (xlapulse, no extras, and its dependencies).

Reads the repository; writes ``.whl`` files into a folder. :func:`host_wheels` fits the
building interpreter (the Debian package); :func:`platform_wheels` fetches binary wheels
for another platform from PyPI with ``pip download --platform`` (the Windows and macOS
payloads), so no Windows or Mac is needed to assemble them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]


def xlapulse_wheel(target: Path) -> Path:
    """Build the pure-Python xlapulse wheel into ``target``; its path."""
    subprocess.run([*PIP, "wheel", "--no-deps", "--wheel-dir", str(target), str(REPO)], check=True)
    (wheel,) = target.glob("xlapulse-*.whl")
    return wheel


def host_wheels(target: Path) -> None:
    """xlapulse and its dependencies for this interpreter (binary wheels only)."""
    xlapulse_wheel(target)
    subprocess.run(
        [*PIP, "wheel", "--only-binary=:all:", "--find-links", str(target),
         "--wheel-dir", str(target), "xlapulse"],
        check=True,
    )  # fmt: skip


def platform_wheels(
    target: Path, platforms: list[str], python_version: str, extra: tuple[str, ...] = ()
) -> None:
    """xlapulse, its dependencies and ``extra`` requirements for other platforms."""
    xlapulse_wheel(target)
    platform_args = [arg for platform in platforms for arg in ("--platform", platform)]
    subprocess.run(
        [*PIP, "download", "--only-binary=:all:", *platform_args,
         "--python-version", python_version, "--implementation", "cp",
         "--find-links", str(target), "--dest", str(target), "xlapulse", *extra],
        check=True,
    )  # fmt: skip
