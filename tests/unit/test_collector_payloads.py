"""The Windows and macOS collector payloads, assembled here, and the Windows service wrapper.

Builds both payloads with deploy/packages/build_payload.py (wheels from PyPI through
``pip download --platform``) and checks that each platform's wheels form a complete,
installable set for that platform (every Requires-Dist, with markers evaluated for
Windows or macOS, is satisfied by a bundled wheel), the zip, the launchd plist and the
pkg scripts. The service wrapper's logic (settings, key file, start and stop of the
collector as a child) runs here with real processes. Not tested here, for want of the
platforms: PowerShell (no pwsh on this machine: the .ps1 files are only read), pywin32's
service glue, pkgbuild and launchd.
"""

from __future__ import annotations

import json
import plistlib
import re
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

from tests.unit.licence_helpers import assert_licences_listed

PACKAGES_DIR = Path(__file__).resolve().parents[2] / "deploy" / "packages"
sys.path.insert(0, str(PACKAGES_DIR))  # the build scripts import each other as scripts do
import build_payload  # noqa: E402

sys.path.insert(0, str(PACKAGES_DIR / "windows"))
import xlapulse_service  # noqa: E402

WINDOWS_ENV = {
    "platform_system": "Windows", "sys_platform": "win32", "os_name": "nt",
    "platform_machine": "AMD64", "python_version": "3.11", "python_full_version": "3.11.9",
    "implementation_name": "cpython", "platform_python_implementation": "CPython",
}  # fmt: skip
MACOS_ENV = {
    **WINDOWS_ENV, "platform_system": "Darwin", "sys_platform": "darwin", "os_name": "posix",
    "platform_machine": "arm64",
}  # fmt: skip


@pytest.fixture(scope="module")
def windows_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_payload.build_payload("windows", tmp_path_factory.mktemp("win"), "0.1.0")


@pytest.fixture(scope="module")
def macos_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_payload.build_payload("macos", tmp_path_factory.mktemp("mac"), "0.1.0")


def requirements_of(wheel: Path) -> list[Requirement]:
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        text = archive.read(metadata).decode()
    lines = [line for line in text.splitlines() if line.startswith("Requires-Dist:")]
    return [Requirement(line.split(":", 1)[1]) for line in lines]


def assert_complete(wheels: list[Path], environment: dict[str, str], tags: re.Pattern[str]) -> None:
    """Every wheel fits the platform and every dependency it has there is bundled."""
    versions = {}
    for wheel in wheels:
        name, version, _, wheel_tags = parse_wheel_filename(wheel.name)
        assert any(tags.fullmatch(str(tag)) for tag in wheel_tags), wheel.name
        versions.setdefault(name, []).append(version)
    for wheel in wheels:
        for requirement in requirements_of(wheel):
            if requirement.marker and not requirement.marker.evaluate({**environment, "extra": ""}):
                continue
            name = canonicalize_name(requirement.name)
            assert name in versions, (
                f"{wheel.name} needs {requirement} on {environment['sys_platform']}"
            )
            assert any(requirement.specifier.contains(v) for v in versions[name]), requirement


def test_windows_payload_is_complete(windows_zip: Path) -> None:
    folder = windows_zip.with_suffix("")
    wheels = sorted((folder / "wheels").glob("*.whl"))
    assert_complete(
        wheels,
        WINDOWS_ENV,
        re.compile(r"(cp311-cp311-win_amd64|py3-none-any|cp311-abi3-win_amd64)"),
    )
    names = {parse_wheel_filename(w.name)[0] for w in wheels}
    assert {"xlapulse", "pywin32", "colorama", "pydantic-core"} <= names
    with zipfile.ZipFile(windows_zip) as archive:
        members = set(archive.namelist())
    for name in (*build_payload.WINDOWS_FILES, "collector.toml", "THIRD_PARTY_LICENSES.txt"):
        assert name in members
    assert_licences_listed(folder / "THIRD_PARTY_LICENSES.txt", wheels)


def test_windows_install_script_registers_an_absolute_config_and_recovery() -> None:
    script = (PACKAGES_DIR / "windows" / "install-collector.ps1").read_text()
    assert "IsPathRooted" in script  # refuses relative paths
    assert re.search(
        r"sc\.exe failure \$ServiceName reset= \d+ actions= restart/\d+/restart/\d+/restart/\d+",
        script,
    )
    assert "failureflag $ServiceName 1" in script
    assert "--startup auto install" in script and "--no-index" in script
    for payload_file in re.findall(r'Join-Path \$PSScriptRoot "([^"]+)"', script):
        assert payload_file in (*build_payload.WINDOWS_FILES, "collector.toml", "wheels")
    intune = json.loads((PACKAGES_DIR / "windows" / "intune.json").read_text())
    assert "install-collector.ps1" in intune["installCommandLine"]
    assert "uninstall-collector.ps1" in intune["uninstallCommandLine"]
    assert intune["detectionRule"]["keyPath"].endswith(xlapulse_service.SERVICE_NAME)


def test_macos_payload_is_complete(macos_folder: Path) -> None:
    app = macos_folder / "root" / "Library" / "xlapulse" / "collector"
    wheels = sorted((app / "wheels").glob("*.whl"))
    tags = re.compile(r"(cp311-cp311-macosx_\d+_\d+_(arm64|x86_64|universal2)|py3-none-any)")
    arm = [w for w in wheels if "x86_64" not in w.name]
    intel = [w for w in wheels if "arm64" not in w.name]
    assert_complete(arm, MACOS_ENV, tags)
    assert_complete(intel, {**MACOS_ENV, "platform_machine": "x86_64"}, tags)
    assert len(arm) < len(wheels) and len(intel) < len(wheels)  # both architectures bundled
    assert (app / "collector.toml").is_file()
    assert_licences_listed(app / "THIRD_PARTY_LICENSES.txt", wheels)
    daemon = macos_folder / "root" / "Library" / "LaunchDaemons" / "com.xlapulse.collector.plist"
    assert daemon.is_file()


def test_launchd_plist_and_pkg_scripts() -> None:
    macos = PACKAGES_DIR / "macos"
    with (macos / "com.xlapulse.collector.plist").open("rb") as file:
        plist = plistlib.load(file)
    assert plist["Label"] == "com.xlapulse.collector"
    assert plist["KeepAlive"] == {"SuccessfulExit": False} and plist["RunAtLoad"] is True
    shell, flag, command = plist["ProgramArguments"]
    assert (shell, flag) == ("/bin/sh", "-c")
    words = shlex.split(command.split("exec ", 1)[1])
    assert words[0] == "/Library/xlapulse/collector/venv/bin/xlapulse"
    assert words[1:4] == ["collector", "run", "--config"] and words[4].startswith("/Library/")
    assert "XLAPULSE_PSEUDONYM_KEY" not in plist["EnvironmentVariables"]
    for script in ("scripts/preinstall", "scripts/postinstall", "build-pkg.sh"):
        subprocess.run(["sh", "-n", str(macos / script)], check=True)
    postinstall = (macos / "scripts" / "postinstall").read_text()
    assert (
        "--no-index" in postinstall
        and "/Library/xlapulse/collector/wheels" not in postinstall.split("app=")[0]
    )


# The Windows service wrapper's logic, with real child processes.

CHILD = r"""
import os, signal, sys, time
open(sys.argv[1], "w").write(os.environ["XLAPULSE_PSEUDONYM_KEY"] + " " + " ".join(sys.argv[2:]))
if os.environ.get("STUBBORN"):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
else:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    time.sleep(0.1)
"""


def service_settings(
    tmp_path: Path, key: str = "organisation-key-0123"
) -> xlapulse_service.ServiceSettings:
    program = tmp_path / "fake_collector.py"
    program.write_text(CHILD)
    launcher = tmp_path / "xlapulse"
    launcher.write_text(f'#!/bin/sh\nexec {sys.executable} {program} {tmp_path / "seen"} "$@"\n')
    launcher.chmod(0o755)
    key_file = tmp_path / "pseudonym.key"
    key_file.write_text(key + "\n")
    settings_file = tmp_path / "service.json"
    settings_file.write_text(
        json.dumps(
            {
                "executable": str(launcher),
                "config": str(tmp_path / "c.toml"),
                "key_file": str(key_file),
            }
        )
    )
    return xlapulse_service.load_service_settings(settings_file)


def test_service_starts_the_collector_with_the_key_and_stops_it(tmp_path: Path) -> None:
    collector = xlapulse_service.CollectorProcess(service_settings(tmp_path))
    collector.start()
    seen = tmp_path / "seen"
    deadline = 0
    while not seen.exists() and deadline < 100:
        collector.wait(0.1)
        deadline += 1
    assert seen.read_text() == f"organisation-key-0123 collector run --config {tmp_path / 'c.toml'}"
    assert collector.wait(0.2) is None  # still running
    assert collector.stop(timeout_s=10) == 0  # stopped politely


def test_a_stubborn_collector_is_killed_after_the_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STUBBORN", "1")
    collector = xlapulse_service.CollectorProcess(service_settings(tmp_path))
    collector.start()
    while not (tmp_path / "seen").exists():
        collector.wait(0.1)
    assert collector.stop(timeout_s=0.5) == -9


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "service.json: Expecting"),
        ('{"executable": "x"}', "missing config, key_file"),
        (
            '{"executable": "xlapulse.exe", "config": "C:\\\\c.toml", "key_file": "C:\\\\k"}',
            "executable must be an absolute path",
        ),
    ],
)
def test_service_settings_errors_name_the_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "service.json"
    path.write_text(content)
    with pytest.raises(xlapulse_service.ServiceSettingsError, match=re.escape(message)):
        xlapulse_service.load_service_settings(path)


def test_windows_paths_count_as_absolute(tmp_path: Path) -> None:
    path = tmp_path / "service.json"
    path.write_text(
        json.dumps(
            {
                "executable": "C:\\xlapulse\\venv\\Scripts\\xlapulse.exe",
                "config": "C:\\ProgramData\\xlapulse\\collector.toml",
                "key_file": "C:\\ProgramData\\xlapulse\\pseudonym.key",
            }
        )
    )
    settings = xlapulse_service.load_service_settings(path)
    assert settings.command()[-1] == "C:\\ProgramData\\xlapulse\\collector.toml"


def test_a_short_key_is_refused(tmp_path: Path) -> None:
    collector = xlapulse_service.CollectorProcess(service_settings(tmp_path, key="short"))
    with pytest.raises(xlapulse_service.ServiceSettingsError, match="at least 16 bytes"):
        collector.start()
