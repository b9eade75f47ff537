"""The third-party licences of what a collector package bundles: THIRD_PARTY_LICENSES.txt.

Reads the core metadata of each bundled project, either from its wheel (the Debian
package and the Windows and macOS payloads ship wheels) or from the interpreter's
installed distributions (the self-contained build bundles those, plus CPython and
PyInstaller's bootloader). Writes one text file: a table of project, version and licence,
then every licence text the project ships (PEP 639 ``License-File``, or the LICENSE,
COPYING or NOTICE files of older ``.dist-info`` folders).

A project whose metadata names no licence (no ``License-Expression``, no licence
classifier, no short ``License`` field) is an error: a package must not bundle code whose
terms nobody checked. xlapulse itself is not third party (its LICENSE is the repository's).
"""

from __future__ import annotations

import email.parser
import importlib.metadata
import re
import sysconfig
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

from packaging.requirements import Requirement

NOTICE_NAME = "THIRD_PARTY_LICENSES.txt"
FIRST_PARTY = "xlapulse"
#: names of licence texts in ``.dist-info`` folders that predate PEP 639's License-File
_LICENCE_FILE = re.compile(r"^(licen[cs]e|copying|notice|authors)", re.IGNORECASE)
#: a ``License`` field longer than this is the licence text, not its name
_SHORT_LICENCE = 80


class LicenceError(ValueError):
    """A bundled project whose metadata names no licence."""


@dataclass(frozen=True)
class BundledProject:
    name: str
    version: str
    #: an SPDX expression, the licence classifiers, or the short ``License`` field
    licence: str
    #: (file name, text) of every licence file the project ships
    texts: tuple[tuple[str, str], ...]


def licence_of(metadata: Message) -> str:
    """The licence a project's core metadata names; :class:`LicenceError` when none."""
    expression = metadata.get("License-Expression")
    if expression:
        return expression.strip()
    classifiers = [
        classifier.split(" :: ")[-1]
        for classifier in metadata.get_all("Classifier") or []
        if classifier.startswith("License ::") and classifier.count(" :: ") >= 2
    ]
    if classifiers:
        return " OR ".join(classifiers)
    field = (metadata.get("License") or "").strip()
    if field and "\n" not in field and len(field) <= _SHORT_LICENCE and field != "UNKNOWN":
        return field
    name, version = metadata.get("Name"), metadata.get("Version")
    raise LicenceError(f"{name} {version}: its metadata names no licence")


def _project(metadata: Message, texts: list[tuple[str, str]]) -> BundledProject:
    return BundledProject(metadata["Name"], metadata["Version"], licence_of(metadata), tuple(texts))


def from_wheel(path: Path) -> BundledProject:
    """A wheel's project, licence and licence texts."""
    with zipfile.ZipFile(path) as wheel:
        names = wheel.namelist()
        (metadata_name,) = [
            n for n in names if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
        ]
        dist_info = metadata_name.rsplit("/", 1)[0]
        metadata = email.parser.BytesParser().parsebytes(wheel.read(metadata_name))
        wanted = _licence_files(
            metadata, [n[len(dist_info) + 1 :] for n in names if n.startswith(dist_info + "/")]
        )
        texts = [
            (name, wheel.read(f"{dist_info}/{name}").decode("utf-8", "replace")) for name in wanted
        ]
    return _project(metadata, texts)


def from_installed(distribution: importlib.metadata.Distribution) -> BundledProject:
    """An installed distribution's project, licence and licence texts."""
    metadata: Message = distribution.metadata  # type: ignore[assignment]
    files = [file.as_posix() for file in distribution.files or []]
    (metadata_path,) = [f for f in files if f.count("/") == 1 and f.endswith(".dist-info/METADATA")]
    dist_info = metadata_path.rsplit("/", 1)[0] + "/"
    inside = [f.removeprefix(dist_info) for f in files if f.startswith(dist_info)]
    texts = [
        (name, distribution.read_text(name) or "") for name in _licence_files(metadata, inside)
    ]
    return _project(metadata, texts)


def _licence_files(metadata: Message, dist_info_files: list[str]) -> list[str]:
    """The licence files of a ``.dist-info`` folder (paths inside it)."""
    declared = metadata.get_all("License-File") or []
    found = [
        candidate
        for path in declared
        for candidate in (f"licenses/{path}", path)
        if candidate in dist_info_files
    ]
    if found:
        return sorted(set(found))
    return sorted(name for name in dist_info_files if _LICENCE_FILE.match(name.rsplit("/", 1)[-1]))


def wheel_projects(wheels: Path) -> list[BundledProject]:
    """Every third-party project among the wheels of a folder."""
    projects = [from_wheel(path) for path in sorted(wheels.glob("*.whl"))]
    return [project for project in projects if project.name != FIRST_PARTY]


def collector_distributions(root: str = FIRST_PARTY) -> list[importlib.metadata.Distribution]:
    """The installed distributions the collector install needs: ``root`` without extras
    and its dependencies, markers judged for this interpreter (what a frozen build takes)."""
    seen: dict[str, importlib.metadata.Distribution] = {}
    pending = [Requirement(root)]
    while pending:
        requirement = pending.pop()
        key = re.sub(r"[-_.]+", "-", requirement.name).lower()
        if key in seen:
            continue
        distribution = importlib.metadata.distribution(requirement.name)
        seen[key] = distribution
        for text in distribution.requires or []:
            dependency = Requirement(text)
            if dependency.marker is None or any(
                dependency.marker.evaluate({"extra": extra}) for extra in requirement.extras or {""}
            ):
                pending.append(dependency)
    return [d for key, d in sorted(seen.items()) if key != FIRST_PARTY]


def cpython_project() -> BundledProject:
    """The interpreter a frozen build embeds."""
    version = sysconfig.get_python_version()
    text = (Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt").read_text(encoding="utf-8")
    return BundledProject("CPython", version, "PSF-2.0", (("LICENSE.txt", text),))


def notice(projects: Iterable[BundledProject], bundle: str) -> str:
    """The THIRD_PARTY_LICENSES.txt text for ``bundle`` (a package's name)."""
    projects = sorted(projects, key=lambda project: project.name.lower())
    width = max([len("project")] + [len(project.name) for project in projects])
    lines = [
        f"Third-party software bundled in {bundle}",
        "",
        "xlapulse is Apache-2.0 (see its LICENSE). It bundles the projects below, each",
        "under its own licence; their licence texts follow the table.",
        "",
        f"{'project':<{width}}  {'version':<14}  licence",
        *(f"{p.name:<{width}}  {p.version:<14}  {p.licence}" for p in projects),
    ]
    for project in projects:
        lines += ["", "=" * 78, f"{project.name} {project.version}: {project.licence}", "=" * 78]
        if not project.texts:
            lines.append("(the distribution ships no licence text; the licence is named above)")
        for name, text in project.texts:
            lines += ["", f"--- {name} ---", text.rstrip()]
    return "\n".join(lines) + "\n"


def write_notice(projects: Iterable[BundledProject], bundle: str, path: Path) -> Path:
    path.write_text(notice(projects, bundle), encoding="utf-8")
    return path
