"""The workspace: a folder of output files plus an append-only manifest of artifact records.

Nothing in a workspace is overwritten, whether runs follow each other (chat turns, a reused
``--workspace``) or go at once (several processes, or threads of one server):

* **Call ids** (``c001``, ``c002``, ...) are allocated under an exclusive ``flock`` on
  ``.earthsight.lock``; the last one is kept in ``.earthsight.calls``. An id is only handed out
  when no file of the workspace is named after it yet (so a lost counter cannot reuse one).
  Every call's output names start with its own id (see ``ToolContext.prefix``).
* **The manifest** ``manifest.jsonl`` holds one artifact record a line; a call's records are
  appended in one write under the same lock, and no line is ever rewritten. Records of a
  workspace written before (``manifest.json``) are still read, first.
* **Temporaries** of killed runs (``.<name>.<tag>-<pid>-<hex>``, whose writer process is gone)
  are removed when the next call id is allocated; those of live processes are kept.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tools.core.artifacts import Artifact
from tools.geo.atomic import atomic_path, remove_orphans

MANIFEST = "manifest.jsonl"
LEGACY_MANIFEST = "manifest.json"
LOCK = ".earthsight.lock"
COUNTER = ".earthsight.calls"
BOOKKEEPING = (MANIFEST, LEGACY_MANIFEST, LOCK, COUNTER)
"""The workspace's own files (not outputs of a call)."""

_CALL_ID = re.compile(r"^c(\d+)(?=$|[-_.])")


class Workspace:
    """A folder that holds every file tools write and ``manifest.jsonl`` listing their records.

    Args:
        root: Folder to use; created if missing.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().resolve()
        if self.root.exists() and not self.root.is_dir():
            raise NotADirectoryError(f"workspace {self.root} is a file; pass a folder")
        self.root.mkdir(parents=True, exist_ok=True)

    @property
    def manifest_path(self) -> Path:
        """Path of the manifest file (JSON Lines, one artifact record a line)."""
        return self.root / MANIFEST

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the workspace's exclusive lock (across processes and threads) for the block.

        Not re-entrant: inside the block, call nothing that takes it again."""
        fd = os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def new_call_id(self) -> str:
        """Reserve the next call id (c001, c002, ...), unique across processes.

        Also removes the temporaries that killed runs left in the workspace.
        """
        with self.lock():
            remove_orphans(self.root)
            names = os.listdir(self.root)
            taken = {int(m.group(1)) for m in map(_CALL_ID.match, names) if m}
            counter = self._counter(names, taken) + 1
            while counter in taken:
                counter += 1
            with atomic_path(self.root / COUNTER, "tmp") as tmp:
                tmp.write_text(f"{counter}\n", encoding="utf-8")
        return f"c{counter:03d}"

    def _counter(self, names: list[str], taken: set[int]) -> int:
        """The last call id handed out (a lost or damaged counter: the highest one that the
        records and the file names show)."""
        with contextlib.suppress(FileNotFoundError, ValueError):
            return int((self.root / COUNTER).read_text(encoding="utf-8").strip())
        last = max(taken, default=0)
        if LEGACY_MANIFEST in names:
            last = max(last, int(self._legacy().get("calls", 0) or 0))
        for art in self._lines():
            match = _CALL_ID.match(str(art.get("id", "")))
            if match:
                last = max(last, int(match.group(1)))
        return last

    def path(self, prefix: str, name: str) -> Path:
        """A path in the workspace named ``<prefix>_<name>`` (unsafe characters replaced)."""
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{prefix}_{name}")
        return self.root / safe

    def record(self, artifacts: list[Artifact]) -> None:
        """Append artifact records to the manifest: one line each, in one write, under the
        lock; nothing already there is rewritten."""
        if not artifacts:
            return
        data = "".join(json.dumps(a.model_dump(mode="json"), ensure_ascii=False) + "\n"
                       for a in artifacts).encode("utf-8")
        with self.lock():
            fd = os.open(self.manifest_path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    data = b"\n" + data  # a killed writer's unfinished line stays on its own
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)

    def artifacts(self) -> list[Artifact]:
        """Every artifact recorded so far, oldest first."""
        legacy = self._legacy().get("artifacts", [])
        return [Artifact.model_validate(a) for a in [*legacy, *self._lines()]]

    def _legacy(self) -> dict[str, Any]:
        """``manifest.json`` of a workspace written before the append-only manifest."""
        try:
            data = json.loads((self.root / LEGACY_MANIFEST).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return data if isinstance(data, dict) else {}

    def _lines(self) -> list[dict[str, Any]]:
        """The manifest's complete records (a line a killed writer left unfinished is
        skipped, as is the last line while another process is still appending it)."""
        try:
            data = self.manifest_path.read_bytes()
        except FileNotFoundError:
            return []
        records: list[dict[str, Any]] = []
        for line in data.split(b"\n")[:-1]:  # the part after the last newline is unfinished
            if not line.strip():
                continue
            with contextlib.suppress(ValueError):
                record = json.loads(line.decode("utf-8"))
                if isinstance(record, dict):
                    records.append(record)
        return records
