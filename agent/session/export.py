"""A session's "export" follow-up: copies of earlier vector results under ``exports/``."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path


def export(files: Sequence[str], workspace: str) -> str:
    """Copy ``files`` into ``workspace/exports`` (never replacing one); the answer."""
    folder = Path(workspace) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for source in files:
        written.append(str(_export_copy(Path(source), folder)))
    return "Exported as GeoJSON:\n" + "\n".join(f"- {p}" for p in written)


def _export_copy(source: Path, folder: Path) -> Path:
    """Copy ``source`` into ``folder`` under its name, or ``name-2``, ``name-3`` ... when an
    earlier export holds it: an export never replaces a file (temp name, then a hard link)."""
    from specialists.runtime.atomic import atomic_path

    stem, suffix = source.name.split(".", 1) if "." in source.name else (source.name, "")
    dot = f".{suffix}" if suffix else ""
    for n in range(1, 10_000):
        target = folder / (source.name if n == 1 else f"{stem}-{n}{dot}")
        if target.exists():
            continue
        try:
            with atomic_path(target, "export", replace=False) as tmp:
                shutil.copyfile(source, tmp)
        except FileExistsError:  # taken meanwhile: the next name
            continue
        return target
    raise FileExistsError(f"exports: no free name for {source.name} in {folder}")
