"""Hostile values and the fuzz settings every test in tests/fuzz shares.

Reads: nothing. Writes: nothing. :func:`fuzz_settings` gives a test its hypothesis
settings: ``derandomize`` (a fixed seed, the same inputs on every run, as CI needs) and
``examples`` inputs, or ``XLAPULSE_FUZZ_EXAMPLES`` inputs per test with fresh random
ones when that variable is set (a longer run on demand). :data:`INPUTS` counts the
inputs the tests ran; ``conftest.py`` prints the total.

The strategies make what an attacker or a broken producer sends: the special
characters that broke parsers before (U+2028 inside a JSON string, lone surrogates,
NUL, a BOM, non-ASCII digits), numbers out of every range (NaN, infinity, 5000-digit
integers), deep nesting, huge strings, wrong JSON types, and clear-text identities
(:data:`IDENTITIES`), which must never reach a dead letter or a log line.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

INPUTS: Counter[str] = Counter()
IDENTITIES = ("jan.jansen@corp.example", "CORP\\pjanssen")
#: what of an identity must not be seen: the local part and the account name
IDENTITY_MARKS = ("jan.jansen", "pjanssen")
SPECIAL_TEXTS = (
    "\u2028",
    "\u2029",
    "\x00",
    "\ud800",
    "\udfff",
    "\ufeff",
    "\x1b[2J",
    "\r\n",
    "\x85",
    "\u0661\u0662",  # Arabic-Indic digits
    "\u00b2",  # superscript two: isdigit() but not int()
    "\U0001d7d9",  # mathematical double-struck one
    "NaN",
    "-Infinity",
    "1e999",
    "-0",
    '"',
    "\\",
    "\\u",
    "<",
    "&amp",
    "]]>",
    "%s%n",
    "${jndi:x}",
    "'; DROP TABLE x; --",
    " " * 300,
    "a" * 5000,
    "9" * 5000,
)


def fuzz_settings(examples: int) -> settings:
    """``examples`` derandomized inputs, or ``XLAPULSE_FUZZ_EXAMPLES`` random ones."""
    requested = os.environ.get("XLAPULSE_FUZZ_EXAMPLES")
    return settings(
        max_examples=int(requested) if requested else examples,
        derandomize=not requested,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def count(surface: str) -> None:
    """One more input tried on ``surface``."""
    INPUTS[surface] += 1


def hostile_texts(max_size: int = 40) -> st.SearchStrategy[str]:
    """Short text, a special text, an identity, or a mix of them."""
    atom = st.one_of(
        st.text(max_size=max_size),
        st.sampled_from(SPECIAL_TEXTS),
        st.sampled_from(IDENTITIES),
    )
    return st.lists(atom, min_size=1, max_size=4).map("".join)


def deep(depth: int, kind: str = "list") -> Any:
    """A value nested ``depth`` levels deep (iteratively built: no recursion here)."""
    value: Any = 0
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


def hostile_values() -> st.SearchStrategy[Any]:
    """A JSON value of any type, out of every range, deep, huge or personal."""
    scalar = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=2**63 - 2, max_value=2**70),
        st.integers(min_value=-(2**70), max_value=-(2**63) + 2),
        st.floats(allow_nan=True, allow_infinity=True),
        hostile_texts(),
        st.sampled_from(IDENTITIES),
    )
    nested = st.one_of(
        st.lists(scalar, max_size=3),
        st.dictionaries(hostile_texts(8), scalar, max_size=3),
        st.integers(min_value=50, max_value=1500).map(deep),
        st.integers(min_value=50, max_value=1500).map(lambda d: deep(d, "dict")),
    )
    return st.one_of(scalar, scalar, nested)


#: built once: a strategy built inside a draw costs more than the input it makes
HOSTILE_TEXTS = hostile_texts()
HOSTILE_KEYS = hostile_texts(12)
HOSTILE_VALUES = hostile_values()


def dumps(value: Any, ascii_only: bool = True) -> str:
    """JSON as Python writes it: NaN and Infinity literals, ``\\ud800`` escapes kept
    (with ``ascii_only`` False: U+2028 and lone surrogates written raw)."""
    try:
        return json.dumps(value, ensure_ascii=ascii_only)
    except ValueError:  # an integer beyond the conversion limit: write it as text
        return json.dumps(str(value))[1:-1]
    except RecursionError:
        return "[" * 5000


ACTIONS = st.sampled_from(["replace", "replace", "drop", "add"])
TEXT_ACTIONS = st.sampled_from(["insert", "insert", "truncate", "double", "drop"])


@st.composite
def mutated_json(draw: st.DrawFn, document: Any) -> Any:
    """``document`` (a parsed JSON sample) with 1-3 values replaced by hostile ones, keys
    dropped or added, at any depth."""
    document = json.loads(json.dumps(document))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        containers = _containers(document)
        if not containers:
            return draw(HOSTILE_VALUES)
        parent = containers[draw(st.integers(0, len(containers) - 1))]
        if isinstance(parent, dict):
            action = draw(ACTIONS)
            keys = list(parent)
            if action == "add" or not keys:
                parent[draw(HOSTILE_KEYS)] = draw(HOSTILE_VALUES)
            elif action == "drop":
                del parent[keys[draw(st.integers(0, len(keys) - 1))]]
            else:
                parent[keys[draw(st.integers(0, len(keys) - 1))]] = draw(HOSTILE_VALUES)
        elif parent:
            parent[draw(st.integers(0, len(parent) - 1))] = draw(HOSTILE_VALUES)
        else:
            parent.append(draw(HOSTILE_VALUES))
    return document


def _containers(node: Any, depth: int = 0) -> list:
    found = []
    stack = [(node, 0)]
    while stack:
        current, level = stack.pop()
        if isinstance(current, dict | list) and level < 12:
            found.append(current)
            children = current.values() if isinstance(current, dict) else current
            stack.extend((child, level + 1) for child in children)
    return found


@st.composite
def mutated_text(draw: st.DrawFn, text: str) -> str:
    """``text`` with 1-3 edits: hostile text inserted, a cut, a line doubled or dropped."""
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        at = draw(st.integers(min_value=0, max_value=len(text)))
        action = draw(TEXT_ACTIONS)
        if action == "insert":
            text = text[:at] + draw(HOSTILE_TEXTS) + text[at:]
        elif action == "truncate":
            text = text[:at]
        else:
            lines = text.split("\n")
            index = draw(st.integers(min_value=0, max_value=max(0, len(lines) - 1)))
            lines[index : index + 1] = [lines[index]] * 2 if action == "double" else []
            text = "\n".join(lines)
    return text


def assert_nothing_personal(texts: list[str], where: str) -> None:
    """No identity mark in any of ``texts``."""
    for text in texts:
        for mark in IDENTITY_MARKS:
            at = text.find(mark)
            assert at < 0, f"{mark!r} reached {where}: ...{text[max(0, at - 150) : at + 60]!r}"
