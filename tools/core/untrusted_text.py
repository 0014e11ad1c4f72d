"""Text that comes from files and requests is data, never instructions.

Band descriptions, metadata tags, units and file names are written by whoever made the file.
They reach records and, through them, language models. :func:`clean` makes such text safe to
store (control characters removed, whitespace collapsed, length capped); :func:`quoted` also
puts it in double quotes, as every text sent to a model shows it, so a model can tell the
file's words from ours (the prompts say that quoted text is data).
"""

from __future__ import annotations

import json
import unicodedata

MAX_CHARS = 64
"""Longest band name, tag value or unit kept from a file."""


def clean(text: object, limit: int = MAX_CHARS) -> str | None:
    """``text`` as one line of printable characters, at most ``limit`` long (an ellipsis marks
    a cut); None for None or nothing printable."""
    if text is None:
        return None
    kept = "".join(" " if ch.isspace() else ch for ch in str(text)
                   if ch.isspace() or unicodedata.category(ch)[0] != "C")
    one_line = " ".join(kept.split())
    if not one_line:
        return None
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


def quoted(text: object, limit: int = MAX_CHARS) -> str:
    """:func:`clean` text in double quotes (JSON escaping), ``""`` for nothing."""
    return json.dumps(clean(text, limit) or "", ensure_ascii=False)
