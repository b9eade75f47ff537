"""The collector's Debian package, built with dpkg-deb and installed with dpkg.

Builds xlapulse-collector 0.1.0 and 0.1.1 (deploy/packages/build_deb.py; the wheels come
from PyPI through pip once), installs them with ``dpkg --root`` into a temporary root
(maintainer scripts run chrootless with DPKG_ROOT, using the system python3), checks the
systemd unit with ``systemd-analyze verify`` and ``security --offline``, runs the unit's
ExecStart by hand (no systemd PID 1 here) as an unprivileged user with Kafka down, then
upgrades (spool and edited config kept), removes (spool kept) and purges (all gone).
"""

from __future__ import annotations

import configparser
import io
import os
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.shared_helpers import free_port, wait_until
from tests.unit.licence_helpers import assert_licences_listed

PACKAGES_DIR = Path(__file__).resolve().parents[2] / "deploy" / "packages"
sys.path.insert(0, str(PACKAGES_DIR))  # the build scripts import each other as scripts do
import build_deb  # noqa: E402
import collector_wheels  # noqa: E402

UNIT = "lib/systemd/system/xlapulse-collector.service"
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"  # the system python3, as on a workplace
#: Stands in for the unit's DynamicUser: "nobody", because a dynamic user has a passwd
#: entry through nss-systemd and the collector asks for its own name (getpass.getuser).
SERVICE_UID = 65_534


@dataclass(frozen=True)
class Packages:
    first: Path
    upgrade: Path


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Packages:
    work = tmp_path_factory.mktemp("deb")
    wheel_dir = work / "wheels"
    collector_wheels.host_wheels(wheel_dir)
    return Packages(
        build_deb.build_deb(work, "0.1.0", wheel_dir),
        build_deb.build_deb(work, "0.1.1", wheel_dir),
    )


def dpkg(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["dpkg", f"--root={root}", "--force-script-chrootless", "--force-depends", *args],
        env={**os.environ, "PATH": SYSTEM_PATH},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def root() -> Iterator[Path]:
    """An empty dpkg database in a folder the service user can traverse (pytest's own
    temporary folders are private to root)."""
    target = Path(tempfile.mkdtemp(prefix="xlapulse-deb-root-"))
    target.chmod(0o755)
    for folder in ("info", "updates", "triggers"):
        (target / "var" / "lib" / "dpkg" / folder).mkdir(parents=True)
    for name in ("status", "available"):
        (target / "var" / "lib" / "dpkg" / name).touch()
    yield target
    shutil.rmtree(target)


def unit(root: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(root / UNIT)
    return parser


def test_package_metadata_and_contents(packages: Packages) -> None:
    info = subprocess.run(
        ["dpkg-deb", "--info", str(packages.first)], capture_output=True, text=True, check=True
    ).stdout
    assert "Package: xlapulse-collector" in info and "Version: 0.1.0" in info
    assert re.search(r"Depends: python3\.\d+, python3\.\d+-venv", info)
    contents = subprocess.run(
        ["dpkg-deb", "--contents", str(packages.first)], capture_output=True, text=True, check=True
    ).stdout
    assert f"./{UNIT}" in contents and "./etc/xlapulse/collector.toml" in contents
    assert "./usr/share/doc/xlapulse-collector/THIRD_PARTY_LICENSES.txt" in contents
    assert re.search(r"root/root .* ./opt/xlapulse-collector/wheels/xlapulse-0\.1\.0-", contents)
    control = subprocess.run(
        ["dpkg-deb", "--ctrl-tarfile", str(packages.first)], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(control)) as archive:
        conffiles = archive.extractfile("./conffiles")
        assert conffiles and conffiles.read() == b"/etc/xlapulse/collector.toml\n"
        for script in ("./postinst", "./prerm", "./postrm"):
            assert archive.getmember(script).mode & 0o111


def test_the_unit_passes_systemd_analyze(root: Path, packages: Packages, tmp_path: Path) -> None:
    assert dpkg(root, "-i", str(packages.first)).returncode == 0
    service = unit(root)["Service"]
    for setting, value in {
        "ProtectSystem": "strict", "NoNewPrivileges": "yes", "DynamicUser": "yes",
        "StateDirectory": "xlapulse/collector", "Restart": "on-failure",
        "StandardOutput": "journal",
    }.items():  # fmt: skip
        assert service[setting] == value, setting
    # verify checks that ExecStart exists: point it at the venv the postinst made.
    copy = tmp_path / "xlapulse-collector.service"
    copy.write_text((root / UNIT).read_text().replace("/opt/", f"{root}/opt/"))
    verify = subprocess.run(
        ["systemd-analyze", "verify", str(copy)], capture_output=True, text=True
    )
    assert verify.returncode == 0, verify.stderr
    unverified = subprocess.run(
        ["systemd-analyze", "verify", str(root / UNIT)], capture_output=True, text=True
    )
    assert "is not executable" in unverified.stderr  # the check above can fail
    security = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", str(copy)],
        capture_output=True,
        text=True,
    )
    exposure = re.search(r"Overall exposure level for \S+: ([\d.]+)", security.stdout)
    assert exposure and float(exposure.group(1)) <= 4.0, security.stdout[-400:]


def run_exec_start(root: Path, spool: Path) -> subprocess.Popen[str]:
    """The unit's ExecStart with paths under root, as an unprivileged uid, Kafka down."""
    command = shlex.split(unit(root)["Service"]["ExecStart"])
    command = [
        part.replace("/opt/", f"{root}/opt/").replace("/etc/", f"{root}/etc/") for part in command
    ]
    if os.geteuid() == 0:
        drop = ["setpriv", f"--reuid={SERVICE_UID}", f"--regid={SERVICE_UID}", "--clear-groups"]
        command = [*drop, *command]
    env = {
        "PATH": SYSTEM_PATH,
        "XLAPULSE_PSEUDONYM_KEY": "deb-test-key-0123456789",
        "XLAPULSE_COLLECTOR_SPOOL__DIRECTORY": str(spool),
        "XLAPULSE_COLLECTOR_KAFKA__BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}",
    }
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def test_install_run_upgrade_remove_purge(root: Path, packages: Packages) -> None:
    first = dpkg(root, "-i", str(packages.first))
    assert first.returncode == 0, first.stderr
    venv_python = root / "opt/xlapulse-collector/venv/bin/python"
    assert os.path.realpath(venv_python).startswith("/usr/bin/python3")  # the system one
    assert (root / "etc/xlapulse/collector.env").stat().st_mode & 0o777 == 0o600
    assert_licences_listed(
        root / "usr/share/doc/xlapulse-collector/THIRD_PARTY_LICENSES.txt",
        sorted((root / "opt/xlapulse-collector/wheels").glob("*.whl")),
    )

    spool = root / "var/lib/xlapulse/collector"  # the StateDirectory, as systemd makes it
    spool.mkdir(mode=0o700)
    if os.geteuid() == 0:
        os.chown(spool, SERVICE_UID, SERVICE_UID)
    collector = run_exec_start(root, spool)
    try:
        wait_until(lambda: (spool / "spool.sqlite3").exists(), 60, "the spool database")
        time.sleep(2)
        assert collector.poll() is None, collector.stdout.read() if collector.stdout else ""
    finally:
        collector.send_signal(signal.SIGTERM)
        output, _ = collector.communicate(timeout=60)
    assert collector.returncode == 0, output
    with sqlite3.connect(spool / "spool.sqlite3") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert tables
    spool_before = (spool / "spool.sqlite3").read_bytes()

    config = root / "etc/xlapulse/collector.toml"
    config.write_text(
        config.read_text() + '\n[kafka]\n  bootstrap_servers = "kafka.example:9093"\n'
    )
    upgrade = dpkg(root, "-i", str(packages.upgrade))
    assert upgrade.returncode == 0, upgrade.stderr
    assert "0.1.1" in dpkg(root, "-s", "xlapulse-collector").stdout
    assert (spool / "spool.sqlite3").read_bytes() == spool_before
    assert "kafka.example:9093" in config.read_text()
    assert venv_python.exists()

    remove = dpkg(root, "-r", "xlapulse-collector")
    assert remove.returncode == 0, remove.stderr
    assert not (root / "opt/xlapulse-collector").exists()
    assert not (root / UNIT).exists()
    assert (spool / "spool.sqlite3").read_bytes() == spool_before
    assert config.exists()  # dpkg keeps conffiles until purge

    purge = dpkg(root, "-P", "xlapulse-collector")
    assert purge.returncode == 0, purge.stderr
    assert not (root / "var/lib/xlapulse").exists()
    assert not (root / "etc/xlapulse").exists()
