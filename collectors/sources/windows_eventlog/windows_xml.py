"""Parse Windows event XML (``wevtutil qe ... /f:xml /e:Events`` or EvtRender) on any platform.

Reads: the XML text of one or many ``<Event>`` elements. Writes: nothing; returns
:class:`WinEvent` records with the System header and the EventData/UserData values.
Named ``<Data Name="...">`` values are kept by name; unnamed ones (classic providers
such as Application Hang or RasClient) by position; UserData children by tag.

:func:`parse_events` is strict (text that is not well-formed raises ``SourceError``);
:func:`read_events`, which the source uses, reads each ``<Event>`` on its own when the
whole text is not well-formed, counts an event it cannot read as ``rejected (...)`` and
still reports its EventRecordID, so the bookmark moves past it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from datetime import UTC, datetime

from xlapulse.collectors.sources.base import SourceError, one_record
from xlapulse.collectors.sources.unparsed import Unparsed

NS = "{http://schemas.microsoft.com/win/2004/08/events/event}"
EVENT_START = re.compile(r"(?=<Event[\s>])")
RECORD_ID = re.compile(r"<EventRecordID>\s*([0-9]{1,19})\s*</EventRecordID>")
RECORD_ID_TEXT = re.compile(r"[0-9]{1,19}")


@dataclass(frozen=True)
class WinEvent:
    """One event log record, reduced to what the mappers read."""

    provider: str
    event_id: int
    record_id: int
    channel: str
    time_created: datetime
    level: int
    computer: str
    named: dict[str, str] = field(default_factory=dict)
    positional: tuple[str, ...] = ()

    def number(self, name: str) -> int | None:
        """A named value as an integer, None when absent or empty."""
        value = self.named.get(name, "").strip()
        return int(value) if value.lstrip("-").isdigit() else None


def parse_windows_time(text: str) -> datetime:
    """``2015-06-01T06:02:36.734000400Z`` (7 or 9 fraction digits) as an aware datetime."""
    text = text.strip().rstrip("Z")
    if "." in text:
        head, fraction = text.split(".", 1)
        text = f"{head}.{fraction[:6]}"
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def parse_events(xml_text: str) -> list[WinEvent]:
    """All ``<Event>`` elements in the text, wrapped in ``<Events>`` or not."""
    return [_event(element) for element in _event_elements(xml_text)]


def read_events(xml_text: str, unparsed: Unparsed) -> tuple[list[WinEvent], int | None]:
    """The events of the text that can be read, and the highest EventRecordID seen in it
    (also of the events counted in ``unparsed`` as rejected), or None."""
    try:
        elements = _event_elements(xml_text)
    except SourceError:
        return _read_one_by_one(xml_text, unparsed)
    events: list[WinEvent] = []
    record_ids: list[int] = []
    for element in elements:
        system = _child(element, "System")
        record_id = RECORD_ID_TEXT.fullmatch(
            _text(system, "EventRecordID") if system is not None else ""
        )
        record_ids += [int(record_id.group(0))] if record_id else []
        with one_record(unparsed, f"event record {record_id.group(0) if record_id else '?'}"):
            events.append(_event(element))
    return events, max(record_ids, default=None)


def _read_one_by_one(xml_text: str, unparsed: Unparsed) -> tuple[list[WinEvent], int | None]:
    events: list[WinEvent] = []
    record_ids: list[int] = []
    for chunk in EVENT_START.split(xml_text.strip().lstrip("\ufeff")):
        chunk = chunk.strip().removeprefix("<Events>").removesuffix("</Events>").strip()
        if not chunk.startswith("<Event"):
            continue
        record_id = RECORD_ID.search(chunk)
        record_ids += [int(record_id.group(1))] if record_id else []
        with one_record(unparsed, f"event record {record_id.group(1) if record_id else '?'}"):
            events += parse_events(chunk)
    return events, max(record_ids, default=None)


def _event_elements(xml_text: str) -> list[ElementTree.Element]:
    text = xml_text.strip().lstrip("\ufeff")
    if not text:
        return []
    if not text.startswith("<Events"):
        text = f"<Events>{text}</Events>"
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as error:
        raise SourceError(f"event XML is not well-formed: {error}") from None
    except UnicodeEncodeError:  # a lone surrogate: no XML character
        raise SourceError("event XML is not well-formed: not valid Unicode") from None
    return [element for element in root.iter() if _local(element.tag) == "Event"]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(parent: ElementTree.Element, name: str) -> ElementTree.Element | None:
    for element in parent:
        if _local(element.tag) == name:
            return element
    return None


def _event(element: ElementTree.Element) -> WinEvent:
    system = _child(element, "System")
    if system is None:
        raise SourceError("event XML without a <System> element")
    provider = _child(system, "Provider")
    created = _child(system, "TimeCreated")
    named, positional = _values(element)
    return WinEvent(
        provider=provider.get("Name", "") if provider is not None else "",
        event_id=int(_text(system, "EventID") or 0),
        record_id=int(_text(system, "EventRecordID") or 0),
        channel=_text(system, "Channel"),
        time_created=parse_windows_time(created.get("SystemTime", ""))
        if created is not None
        else datetime.fromtimestamp(0, UTC),
        level=int(_text(system, "Level") or 4),
        computer=_text(system, "Computer"),
        named=named,
        positional=tuple(positional),
    )


def _text(parent: ElementTree.Element, name: str) -> str:
    found = _child(parent, name)
    return (found.text or "").strip() if found is not None else ""


def _values(element: ElementTree.Element) -> tuple[dict[str, str], list[str]]:
    named: dict[str, str] = {}
    positional: list[str] = []
    event_data = _child(element, "EventData")
    if event_data is not None:
        for data in event_data:
            value = (data.text or "").strip()
            if data.get("Name"):
                named[data.get("Name", "")] = value
            else:
                positional.append(value)
    user_data = _child(element, "UserData")
    if user_data is not None and len(user_data):
        for item in user_data[0]:
            named[_local(item.tag)] = (item.text or "").strip()
    return named, positional
