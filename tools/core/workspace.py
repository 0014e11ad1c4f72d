"""The workspace: a folder of output files plus a manifest of artifact records."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tools.core.artifacts import Artifact
from tools.geo.atomic import write_json_atomic

MANIFEST = "manifest.json"


class Workspace:
    """A folder that holds every file tools write and ``manifest.json`` listing their records.

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
        """Path of the manifest file."""
        return self.root / MANIFEST

    def _load(self) -> dict[str, Any]:
        if not self.manifest_path.exists():
            return {"calls": 0, "artifacts": []}
        data: dict[str, Any] = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        return data

    def new_call_id(self) -> str:
        """Reserve the next call id (c001, c002, ...) and persist the counter."""
        data = self._load()
        data["calls"] = int(data.get("calls", 0)) + 1
        write_json_atomic(self.manifest_path, data)
        return f"c{data['calls']:03d}"

    def path(self, prefix: str, name: str) -> Path:
        """A path in the workspace named ``<prefix>_<name>`` (unsafe characters replaced)."""
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{prefix}_{name}")
        return self.root / safe

    def record(self, artifacts: list[Artifact]) -> None:
        """Append artifact records to the manifest (atomic rewrite)."""
        data = self._load()
        data.setdefault("artifacts", []).extend(a.model_dump(mode="json") for a in artifacts)
        write_json_atomic(self.manifest_path, data)

    def artifacts(self) -> list[Artifact]:
        """Every artifact recorded so far, oldest first."""
        return [Artifact.model_validate(a) for a in self._load().get("artifacts", [])]
