"""Assemble the Windows and macOS collector payloads on any machine.

Reads the repository, deploy/packages/{windows,macos}/ and an organisation's collector
config (default: the sample); writes ``<out>/xlapulse-collector-<platform>-<version>/``:

* windows: ``wheels/`` (CPython 3.11, win_amd64, with pywin32 and colorama, which pip
  cannot see that click needs there: it reads markers for this machine), ``xlapulse_service.py``,
  ``install-collector.ps1``, ``uninstall-collector.ps1``, ``intune.json``,
  ``collector.toml``, ``THIRD_PARTY_LICENSES.txt``; and the same as a ``.zip`` for
  IntuneWinAppUtil or an RMM tool;
* macos: ``root/`` (the pkg payload: /Library/xlapulse/collector/{wheels,collector.toml,
  THIRD_PARTY_LICENSES.txt},
  /Library/LaunchDaemons/com.xlapulse.collector.plist) for ``macos/build-pkg.sh``, which
  needs pkgbuild on a Mac. Wheels for arm64 and x86_64 (macOS 11+).

The wheels come from PyPI with ``pip download --platform``; nothing is compiled.
Usage: python deploy/packages/build_payload.py --platform windows --out dist [--config F]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from collector_wheels import REPO, platform_wheels
from third_party import NOTICE_NAME, wheel_projects, write_notice

HERE = Path(__file__).resolve().parent
PYTHON_VERSION = "3.11"
SAMPLE_CONFIG = REPO / "collectors" / "agent" / "sample-config.toml"
WINDOWS_FILES = (
    "xlapulse_service.py",
    "install-collector.ps1",
    "uninstall-collector.ps1",
    "intune.json",
)
MACOS_PLATFORMS = (["macosx_11_0_arm64"], ["macosx_11_0_x86_64", "macosx_10_9_x86_64"])


def windows_payload(folder: Path, config: Path) -> Path:
    platform_wheels(folder / "wheels", ["win_amd64"], PYTHON_VERSION, extra=("pywin32", "colorama"))
    for name in WINDOWS_FILES:
        shutil.copy2(HERE / "windows" / name, folder / name)
    shutil.copy2(config, folder / "collector.toml")
    write_notice(wheel_projects(folder / "wheels"), folder.name, folder / NOTICE_NAME)
    return Path(shutil.make_archive(str(folder), "zip", folder))


def macos_payload(folder: Path, config: Path) -> Path:
    app = folder / "root" / "Library" / "xlapulse" / "collector"
    for platforms in MACOS_PLATFORMS:
        platform_wheels(app / "wheels", platforms, PYTHON_VERSION)
    shutil.copy2(config, app / "collector.toml")
    write_notice(wheel_projects(app / "wheels"), folder.name, app / NOTICE_NAME)
    daemons = folder / "root" / "Library" / "LaunchDaemons"
    daemons.mkdir(parents=True)
    shutil.copy2(HERE / "macos" / "com.xlapulse.collector.plist", daemons)
    return folder


def build_payload(platform: str, out: Path, version: str, config: Path = SAMPLE_CONFIG) -> Path:
    """Build one platform's payload; returns the zip (windows) or the folder (macos)."""
    folder = out / f"xlapulse-collector-{platform}-{version}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return (windows_payload if platform == "windows" else macos_payload)(folder, config)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--platform", choices=("windows", "macos"), required=True)
    parser.add_argument("--out", type=Path, required=True, help="Output folder.")
    parser.add_argument("--version", default="0.1.0", help="Payload version.")
    parser.add_argument("--config", type=Path, default=SAMPLE_CONFIG, help="collector.toml.")
    args = parser.parse_args()
    print(build_payload(args.platform, args.out, args.version, args.config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
