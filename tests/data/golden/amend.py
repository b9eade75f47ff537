"""Write one deliberate contract change into the golden events, by hand-given values.

Reads and rewrites tests/data/golden/*.ndjson in place (same compact JSON, one event a
line, key order kept, non-ASCII written as is like wire.encode). Every other field stays
as the retired pydantic path wrote it: the values come from the command line, never from
the current sources (README.md).

    .venv/bin/python tests/data/golden/amend.py set '*.schema_version' '"1.3"'
    .venv/bin/python tests/data/golden/amend.py set print_job.is_duplex false
    .venv/bin/python tests/data/golden/amend.py drop vpn_session.reason

``set <event type>.<field> <JSON value>`` gives the field that value in every event of
that type (``*``: every event); ``drop <event type>.<field>`` removes it. Prints how many
events changed per file; review the diff, then run tests/unit/test_wire.py. Changes no
event (a mistyped type or field, or the value is already there): writes nothing, exit 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent
USAGE = "usage: amend.py set <type>.<field> <JSON value> | drop <type>.<field>"


def amend(event: dict, action: str, event_type: str, field: str, value: object) -> bool:
    """Change ``event`` in place; whether it changed."""
    if event_type not in ("*", event["event_type"]):
        return False
    before = dict(event)
    if action == "drop":
        event.pop(field, None)
    else:
        event[field] = value
    return event != before


def main(argv: list[str]) -> int:
    if not ((argv[:1] == ["set"] and len(argv) == 3) or (argv[:1] == ["drop"] and len(argv) == 2)):
        print(USAGE, file=sys.stderr)
        return 2
    action, dotted = argv[0], argv[1]
    event_type, _, field = dotted.partition(".")
    value = json.loads(argv[2]) if action == "set" else None
    amended = []
    for path in sorted(GOLDEN.glob("*.ndjson")):
        events = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        changed = sum(amend(event, action, event_type, field, value) for event in events)
        amended.append((path, events, changed))
    if not any(changed for _, _, changed in amended):
        print(f"amend.py: {action} {dotted} changed no event; nothing written", file=sys.stderr)
        return 1
    for path, events, changed in amended:
        lines = (
            json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n" for event in events
        )
        path.write_text("".join(lines), encoding="utf-8")
        print(f"{path.name}: {changed} of {len(events)} events changed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
