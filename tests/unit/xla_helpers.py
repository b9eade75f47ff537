"""An XLA configuration for unit tests of cells: the packaged file, judged on any sample.

Reads the packaged ``xlas/default.yaml``; writes nothing. Its objectives need many
samples per window before they are judged (``min_samples``); tests that count a
handful of people into a cell use :data:`JUDGE_EVERY_SAMPLE` instead, the same file
with ``min_samples: 1`` on every objective.
"""

from __future__ import annotations

import re

from xlapulse.streams.scoring.xla import DEFAULT_XLA_PATH, XlaConfig, parse_xla_text


def judging_every_sample() -> XlaConfig:
    """The packaged XLA file with every objective judged from its first sample."""
    text = re.sub(r"^\s+min_samples: .*\n", "", DEFAULT_XLA_PATH.read_text(), flags=re.M)
    text = re.sub(r"^(\s+)target: (.*)$", r"\1target: \2\n\1min_samples: 1", text, flags=re.M)
    return parse_xla_text(text, "default.yaml, min_samples 1")


JUDGE_EVERY_SAMPLE = judging_every_sample()
