"""Atomic file writes: write a temporary file beside the destination, then rename it into place.

The one implementation of temp-then-rename in EarthSight (``tools.geo.atomic`` re-uses it). A
temporary is hidden and unique (``.<stem>.<tag>-<host>-<pid>-<8 hex><suffix>``, so that GDAL
still sees the extension) and lives in the destination's folder, so the final rename never
crosses file systems. Readers see either the old file or the whole new one, never a half-written
file; on an error nothing is left behind. A process killed while writing leaves its temporary;
the writer's machine (6 hex of its host name) and process id in the name let the next run on the
same machine tell such an orphan (its writer is gone) from the temporary of a run still going
(:func:`remove_orphans`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

_TEMP = re.compile(
    r"^\..*\.[A-Za-z0-9_]+-(?P<host>[0-9a-f]{6})-(?P<pid>[0-9]+)-[0-9a-f]{8}(\..*)?$")
"""A temporary of :func:`sibling_temp`, or a file GDAL made beside one (``.aux.xml``, ``.ovr``)."""


@functools.cache
def host_tag() -> str:
    """6 hex digits that name this machine in temporaries' names."""
    name = socket.gethostname().encode("utf-8")
    return hashlib.sha1(name, usedforsecurity=False).hexdigest()[:6]


def sibling_temp(dest: str | Path, tag: str = "part") -> Path:
    """A unique hidden path beside ``dest`` naming this machine and process (nothing is
    created)."""
    d = Path(dest)
    return d.with_name(f".{d.stem}.{tag}-{host_tag()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
                       f"{d.suffix}")


def temp_owner(name: str) -> tuple[str, int] | None:
    """The machine tag and process id in a temporary's file name (None: not a temporary of
    this module)."""
    match = _TEMP.match(name)
    return (match.group("host"), int(match.group("pid"))) if match else None


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine (another user's process counts)."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_orphans(folder: str | Path) -> list[Path]:
    """Delete the temporaries in ``folder`` (not below it) whose writer process is gone.

    Only temporaries written on this machine are judged; one of a live process (this one
    included) is kept, as that process may still be writing it; so is one written elsewhere
    (a shared folder), whose writer cannot be asked. Returns the files removed.
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return removed
    here = host_tag()
    for entry in entries:
        owner = temp_owner(entry.name) if entry.name.startswith(".") else None
        if owner is None or owner[0] != here or process_alive(owner[1]):
            continue
        if not entry.is_file(follow_symlinks=False):
            continue
        with contextlib.suppress(FileNotFoundError):
            os.unlink(entry.path)
            removed.append(Path(entry.path))
    return removed


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
