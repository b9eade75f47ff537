"""What the collector packages' tests check of their THIRD_PARTY_LICENSES.txt."""

from __future__ import annotations

import re
from pathlib import Path

from packaging.utils import parse_wheel_filename


def assert_licences_listed(notice: Path, wheels: list[Path]) -> None:
    """The notice names every bundled third-party wheel's project and version with a
    licence (deploy/packages/third_party.py refuses to write one without)."""
    text = notice.read_text(encoding="utf-8")
    assert wheels, "no wheels bundled"
    for wheel in wheels:
        name, version, *_ = parse_wheel_filename(wheel.name)
        if name == "xlapulse":
            continue
        row = rf"^{re.escape(name)} +{re.escape(str(version))} +\S"
        assert re.search(row.replace(r"\-", "[-_.]"), text, re.M | re.I), (
            f"{wheel.name} is not in {notice}"
        )
