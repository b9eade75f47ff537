"""Build the Debian package of the workplace collector with dpkg-deb.

Reads the repository (the collector install: no extras), deploy/packages/linux/ (systemd
unit, maintainer scripts) and collectors/agent/sample-config.toml; writes
``<out>/xlapulse-collector_<version>_<arch>.deb``. The package carries the wheels of
xlapulse and its dependencies for the building Python's version and platform (their
licences in /usr/share/doc/xlapulse-collector/THIRD_PARTY_LICENSES.txt); its postinst
makes a venv from them with the system python3, without network.

Usage: python deploy/packages/build_deb.py --out dist [--version 0.1.0] [--wheels DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from collector_wheels import host_wheels
from third_party import NOTICE_NAME, wheel_projects, write_notice

REPO = Path(__file__).resolve().parents[2]
LINUX = Path(__file__).resolve().parent / "linux"
PACKAGE = "xlapulse-collector"
APP_DIR = Path("opt") / PACKAGE
CONFFILES = ("/etc/xlapulse/collector.toml",)
DEB_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}


def python_command() -> str:
    """The system interpreter the postinst makes the venv with."""
    return f"python{sys.version_info.major}.{sys.version_info.minor}"


def python_dependency() -> str:
    """The system Python the wheels fit: the building interpreter's minor version."""
    return f"{python_command()}, {python_command()}-venv"


def control(version: str, arch: str, installed_kib: int) -> str:
    return (
        f"Package: {PACKAGE}\n"
        f"Version: {version}\n"
        f"Architecture: {arch}\n"
        "Maintainer: xlapulse maintainers <xlapulse@example.org>\n"
        f"Installed-Size: {installed_kib}\n"
        f"Depends: {python_dependency()}\n"
        "Section: admin\n"
        "Priority: optional\n"
        "Homepage: https://github.com/xlapulse/xlapulse\n"
        "Description: xlapulse workplace collector (digital experience telemetry)\n"
        " Reads boot, logon, VPN, print and probe signals on this PC, pseudonymizes\n"
        " user and device names with the organisation's key and sends them to Kafka.\n"
        " Runs as a sandboxed systemd service with a disk spool that survives outages.\n"
    )


def stage(root: Path, wheels: Path) -> None:
    """The package's file tree under ``root`` (without DEBIAN/)."""
    shutil.copytree(wheels, root / APP_DIR / "wheels")
    unit_dir = root / "lib" / "systemd" / "system"
    unit_dir.mkdir(parents=True)
    shutil.copy2(LINUX / f"{PACKAGE}.service", unit_dir)
    config_dir = root / "etc" / "xlapulse"
    config_dir.mkdir(parents=True)
    shutil.copy2(
        REPO / "collectors" / "agent" / "sample-config.toml", config_dir / "collector.toml"
    )
    doc_dir = root / "usr" / "share" / "doc" / PACKAGE
    doc_dir.mkdir(parents=True)
    shutil.copy2(REPO / "collectors" / "agent" / "README.md", doc_dir / "README.md")
    shutil.copy2(LINUX / "copyright", doc_dir / "copyright")
    write_notice(wheel_projects(wheels), PACKAGE, doc_dir / NOTICE_NAME)


def build_deb(out: Path, version: str, wheels: Path | None = None) -> Path:
    """Build the package; returns its path."""
    arch = DEB_ARCH[sysconfig.get_platform().split("-")[-1]]
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        if wheels is None:
            wheels = work / "wheels"
            host_wheels(wheels)
        root = work / "root"
        stage(root, wheels)
        size_kib = sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) // 1024
        debian = root / "DEBIAN"
        debian.mkdir()
        (debian / "control").write_text(control(version, arch, size_kib))
        (debian / "conffiles").write_text("".join(f"{path}\n" for path in CONFFILES))
        for script in ("postinst", "prerm", "postrm"):
            text = (LINUX / script).read_text().replace("@PYTHON@", python_command())
            (debian / script).write_text(text)
            (debian / script).chmod(0o755)
        package = out / f"{PACKAGE}_{version}_{arch}.deb"
        subprocess.run(
            ["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(root), str(package)],
            check=True,
            capture_output=True,
        )
    return package


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="Folder for the .deb.")
    parser.add_argument("--version", default="0.1.0", help="Package version.")
    parser.add_argument("--wheels", type=Path, help="Use these wheels instead of building.")
    args = parser.parse_args()
    print(build_deb(args.out, args.version, args.wheels))
    return 0


if __name__ == "__main__":
    sys.exit(main())
