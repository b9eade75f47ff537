"""Time spans as sorted, disjoint ``[start_ms, end_ms]`` pairs: union and difference.

Reads and writes nothing. Exposure (``exposure_clock.py``) keeps each device's exposed
time in a window cell as spans rather than a sum, so crediting a span twice (a batch
redelivered after a crash, a replayed close) changes nothing: adding is a union,
taking back a difference.
"""

from __future__ import annotations

Spans = list[list[int]]


def add_span(spans: Spans, start_ms: int, end_ms: int) -> Spans:
    """The union of ``spans`` and [start, end), merged."""
    merged: Spans = []
    for low, high in sorted([*spans, [start_ms, end_ms]]):
        if merged and low <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    return merged


def remove_span(spans: Spans, start_ms: int, end_ms: int) -> Spans:
    """``spans`` without [start, end)."""
    kept: Spans = []
    for low, high in spans:
        if low < start_ms:
            kept.append([low, min(high, start_ms)])
        if high > end_ms:
            kept.append([max(low, end_ms), high])
    return [span for span in kept if span[1] > span[0]]


def total_ms(spans: Spans) -> int:
    return sum([high - low for low, high in spans])


def union_ms(span_lists: list[Spans]) -> int:
    """The length of the union of several devices' spans (one person's time, counted
    once while two of their devices were exposed at the same moment)."""
    merged: Spans = []
    for spans in span_lists:
        for low, high in spans:
            merged = add_span(merged, low, high)
    return total_ms(merged)
