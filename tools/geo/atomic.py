"""Atomic writes in tools: the temporary-then-rename helpers of :mod:`specialists.runtime.atomic`
(the one implementation) and the JSON and CSV writers built on them.

``atomic_path(dest)`` yields a unique hidden path beside ``dest`` and renames it onto ``dest``
when the block succeeds (the temporary is deleted on any error); ``scratch_path(dest)`` yields
one that is always deleted; ``sibling_temp(dest)`` only names one; ``remove_orphans(folder)``
deletes the temporaries killed processes left there.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from specialists.runtime.atomic import atomic_path, remove_orphans, scratch_path, sibling_temp

__all__ = ["atomic_path", "remove_orphans", "scratch_path", "sibling_temp", "write_csv_atomic",
           "write_json_atomic"]


def write_json_atomic(dest: str | Path, payload: Any) -> Path:
    """Write ``payload`` as JSON (indented, unknown types as text) to ``dest`` atomically."""
    with atomic_path(dest, "tmp") as tmp:
        tmp.write_text(json.dumps(payload, indent=1, default=str), encoding="utf-8")
    return Path(dest)


def write_csv_atomic(dest: str | Path, header: Sequence[str],
                     rows: Sequence[Sequence[Any]]) -> Path:
    """Write a CSV (a header row, then ``rows``) to ``dest`` atomically."""
    with atomic_path(dest, "tmp") as tmp, tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return Path(dest)
