"""THIRD_PARTY_LICENSES.txt of the collector packages (deploy/packages/third_party.py):
the licence each bundled project's metadata names, its licence texts, and the refusal to
bundle a project whose metadata names none. The packages' own tests check that every
wheel they bundle is listed (test_deb_package.py, test_collector_payloads.py)."""

from __future__ import annotations

import email.message
import importlib.metadata
import re
import sys
import zipfile
from pathlib import Path

import pytest

PACKAGES_DIR = Path(__file__).resolve().parents[2] / "deploy" / "packages"
sys.path.insert(0, str(PACKAGES_DIR))  # the build scripts import each other as scripts do
import third_party  # noqa: E402


def metadata(**fields: str | list[str]) -> email.message.Message:
    message = email.message.Message()
    message["Name"], message["Version"] = "demo", "1.0"
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            message[name.replace("_", "-")] = item
    return message


def test_the_licence_comes_from_the_expression_then_classifiers_then_a_short_field() -> None:
    assert third_party.licence_of(metadata(License_Expression="MIT OR Apache-2.0")) == (
        "MIT OR Apache-2.0"
    )
    classifiers = ["License :: OSI Approved :: BSD License", "Programming Language :: Python"]
    assert third_party.licence_of(metadata(Classifier=classifiers)) == "BSD License"
    assert third_party.licence_of(metadata(License="Apache 2.0")) == "Apache 2.0"


@pytest.mark.parametrize(
    "fields",
    [{}, {"License": "UNKNOWN"}, {"License": "Permission is hereby granted...\n" * 3}],
    ids=["nothing", "unknown", "only-the-text"],
)
def test_a_project_without_a_named_licence_is_refused(fields: dict[str, str]) -> None:
    with pytest.raises(third_party.LicenceError, match=r"demo 1\.0: its metadata names no licence"):
        third_party.licence_of(metadata(**fields))


def write_wheel(path: Path, members: dict[str, str]) -> None:
    with zipfile.ZipFile(path, "w") as wheel:
        for name, text in members.items():
            wheel.writestr(name, text)


def test_a_wheel_gives_its_declared_licence_files_and_older_ones_are_found_by_name(
    tmp_path: Path,
) -> None:
    # synthetic wheels (only their .dist-info matters): PEP 639 and pre-PEP 639 layouts
    write_wheel(
        tmp_path / "new-1.0-py3-none-any.whl",
        {
            "new-1.0.dist-info/METADATA": "Metadata-Version: 2.4\nName: new\nVersion: 1.0\n"
            "License-Expression: MIT\nLicense-File: LICENSE\n",
            "new-1.0.dist-info/licenses/LICENSE": "MIT text",
            "new/__init__.py": "",
        },
    )
    write_wheel(
        tmp_path / "old-2.0-py3-none-any.whl",
        {
            "old-2.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: old\nVersion: 2.0\n"
            "Classifier: License :: OSI Approved :: Apache Software License\n",
            "old-2.0.dist-info/LICENSE.txt": "Apache text",
            "old-2.0.dist-info/NOTICE": "notice text",
            "old-2.0.dist-info/RECORD": "",
        },
    )
    projects = third_party.wheel_projects(tmp_path)
    assert projects == [
        third_party.BundledProject("new", "1.0", "MIT", (("licenses/LICENSE", "MIT text"),)),
        third_party.BundledProject(
            "old",
            "2.0",
            "Apache Software License",
            (("LICENSE.txt", "Apache text"), ("NOTICE", "notice text")),
        ),
    ]
    text = third_party.notice(projects, "demo-bundle")
    assert text.startswith("Third-party software bundled in demo-bundle\n")
    assert re.search(r"^project +version +licence\nnew +1\.0 +MIT\nold +2\.0 +Apache", text, re.M)
    assert "MIT text" in text and "notice text" in text


def test_the_collector_closure_is_the_install_without_extras() -> None:
    names = {d.metadata["Name"].lower() for d in third_party.collector_distributions()}
    assert {"kafka-python", "pydantic_core", "click", "pyyaml"} <= names
    assert not names & {"faust-streaming", "aiohttp", "matplotlib", "xlapulse"}, "no extras"
    kafka = third_party.from_installed(importlib.metadata.distribution("kafka-python"))
    assert kafka.licence == "Apache-2.0"
    assert any("Apache License" in text for _, text in kafka.texts)
    assert "Python Software Foundation" in third_party.cpython_project().texts[0][1]
