"""Atomic file writes: write a temporary file beside the destination, then rename it into place.

The one implementation of temp-then-rename in EarthSight (``tools.geo.atomic`` re-uses it). A
temporary is hidden and unique (``.<stem>.<tag>-<8 hex><suffix>``, so that GDAL still sees the
extension) and lives in the destination's folder, so the final rename never crosses file
systems. Readers see either the old file or the whole new one, never a half-written file; on an
error nothing is left behind.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path


def sibling_temp(dest: str | Path, tag: str = "part") -> Path:
    """A unique hidden path beside ``dest`` (nothing is created)."""
    d = Path(dest)
    return d.with_name(f".{d.stem}.{tag}-{uuid.uuid4().hex[:8]}{d.suffix}")


@contextlib.contextmanager
def scratch_path(dest: str | Path, tag: str = "scratch") -> Iterator[Path]:
    """A unique temporary path beside ``dest``, deleted when the block ends (success or not).

    For intermediate files that are published by other means or not at all.
    """
    Path(dest).parent.mkdir(parents=True, exist_ok=True)
    tmp = sibling_temp(dest, tag)
    try:
        yield tmp
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


@contextlib.contextmanager
def atomic_path(dest: str | Path, tag: str = "part", *, replace: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; when the block succeeds, rename it onto ``dest``.

    On an error (in the block or the rename) the temporary is deleted and ``dest`` is untouched.

    Args:
        dest: Final path; its folder is created.
        tag: Word in the temporary's name (what is being written).
        replace: False: never replace an existing ``dest`` (a hard link that fails with
            ``FileExistsError`` when ``dest`` exists, even one that appeared meanwhile).

    Raises:
        FileExistsError: ``replace`` is False and ``dest`` exists.
    """
    with scratch_path(dest, tag) as tmp:
        yield tmp
        if replace:
            os.replace(tmp, dest)
        else:
            os.link(tmp, dest)
