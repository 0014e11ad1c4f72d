"""``earthsight models import``: convert a trusted checkpoint once into a file that loads safely.

Some checkpoints (an ultralytics model pickled with extra objects, a state dict saved inside a
training object) are refused by the restricted loaders of :mod:`specialists.runtime.model_files`.
The user who trusts such a file converts it once, on the command line: the file is unpickled in
full (it may run code: that is the trust the user gives), then only what the restricted
loaders accept is written again:

* an ultralytics checkpoint keeps its model (ultralytics' own classes), its training arguments
  as plain values, and its version and date; the new file must load through ultralytics'
  restricted loader, else the import fails;
* anything else keeps its tensors, containers and plain values (the format of
  :mod:`specialists.runtime.checkpoint` and of SAM / CLIP state dicts survives); the new file must
  load with ``torch.load(weights_only=True)``.

The result goes into EarthSight's weights folder
(:func:`specialists.runtime.models.earthsight_weights_dir`) under the model's published file name
(``--name``) or the file's own name, never over an existing file, and its SHA-256 goes into the
trust store, so a converted file under a published name is accepted
(:func:`specialists.runtime.model_files.verify_published`). This is reachable only from the command
line: no tool, workflow, server or planner can call it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specialists.runtime.atomic import atomic_path
from specialists.runtime.model_files import (
    ModelFileRefused,
    safe_ultralytics,
    sha256_of,
    trust_file,
)
from specialists.runtime.models import earthsight_weights_dir, get_record

_PLAIN = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class ImportedWeights:
    """What an import wrote.

    Attributes:
        path: The converted file.
        sha256: Its SHA-256 (recorded in the trust store).
        kind: ``ultralytics`` or ``tensors``.
        model: The model record it was imported for (None: none named).
    """

    path: Path
    sha256: str
    kind: str
    model: str | None


def _plain(value: Any, tensors: bool) -> Any:
    """``value`` with only containers, plain values (and tensors when ``tensors``); the rest
    becomes None."""
    import torch

    if isinstance(value, _PLAIN) or (tensors and isinstance(value, torch.Tensor)):
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v, tensors) for k, v in value.items()
                if isinstance(k, _PLAIN)}
    if isinstance(value, list | tuple):
        return [_plain(v, tensors) for v in value]
    if hasattr(value, "__dict__") and not isinstance(value, torch.nn.Module) and not tensors:
        return _plain(vars(value), tensors)
    return None


def _is_ultralytics(data: Any) -> bool:
    import torch

    if not isinstance(data, dict):
        return False
    model = data.get("ema") or data.get("model")
    return isinstance(model, torch.nn.Module) and type(model).__module__.startswith(
        "ultralytics.")


def _has_tensor(value: Any) -> bool:
    import torch

    if isinstance(value, torch.Tensor):
        return True
    if isinstance(value, dict):
        return any(_has_tensor(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_tensor(v) for v in value)
    return False


def _write_ultralytics(data: dict[str, Any], tmp: Path, source: str) -> None:
    import torch

    model = (data.get("ema") or data["model"]).float()
    clean = {
        "date": dt.datetime.now(dt.UTC).isoformat(),
        "version": str(data.get("version") or ""),
        "license": str(data.get("license") or ""),
        "train_args": _plain(data.get("train_args") or {}, tensors=False),
        "model": model,
        "earthsight": {"imported_from": source},
    }
    torch.save(clean, tmp)
    safe_ultralytics()
    from ultralytics.nn.tasks import torch_safe_load

    try:
        torch_safe_load(str(tmp), safe_only=True)
    except Exception as exc:  # TypeError is how it refuses; anything else fails too
        raise ModelFileRefused(
            f"the model in this checkpoint uses classes outside ultralytics' allow-list "
            f"({' '.join(str(exc).split())[:200]}); EarthSight cannot run it safely") from exc


def _write_tensors(data: Any, tmp: Path) -> None:
    import torch

    clean = _plain(data, tensors=True)
    if not _has_tensor(clean):
        raise ModelFileRefused("the file holds no tensors to import")
    torch.save(clean, tmp)
    torch.load(tmp, map_location="cpu", weights_only=True)  # must load the restricted way


def _record_trust(digest: str, entry: dict[str, Any]) -> None:
    """Add a digest to the trust store (under an exclusive lock; temporary file + rename)."""
    store = trust_file()
    store.parent.mkdir(parents=True, exist_ok=True)
    with open(store.with_name(store.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            data = json.loads(store.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        files = [e for e in data.get("files", []) if isinstance(e, dict)
                 and e.get("sha256") != digest] if isinstance(data, dict) else []
        files.append({"sha256": digest, **entry})
        with atomic_path(store) as tmp:
            tmp.write_text(json.dumps({"files": files}, indent=2), encoding="utf-8")


def import_weights(source: str | Path, name: str | None = None,
                   dest_dir: str | Path | None = None) -> ImportedWeights:
    """Convert a trusted checkpoint into a safely loadable file and trust its digest.

    Loading ``source`` runs whatever code its pickle carries: call this only on files you
    trust, from the command line.

    Args:
        source: The checkpoint.
        name: Model record it is for (its published file name is used), e.g. ``yolo11n-obb``.
        dest_dir: Folder to write to (default: EarthSight's weights folder).

    Raises:
        ModelFileRefused: Nothing safe can be made of it, or the destination exists.
        FileNotFoundError: ``source`` does not exist.
        KeyError: ``name`` is not a model record.
    """
    import torch

    src = Path(source).expanduser()
    if not src.is_file():
        raise FileNotFoundError(f"models import: {src} does not exist")
    record = get_record(name) if name is not None else None
    folder = Path(dest_dir).expanduser() if dest_dir is not None else earthsight_weights_dir()
    file_name = record.weights if record is not None else src.name
    if Path(file_name).suffix.lower() not in (".pt", ".pth"):
        file_name = f"{Path(file_name).stem}.pt"
    dest = folder / file_name
    if dest.exists():
        raise ModelFileRefused(f"models import: {dest} exists; move it away first (imports never "
                               "replace a file)")
    data = torch.load(src, map_location="cpu", weights_only=False)  # the user trusts it
    try:  # replace=False: never replaces a file that appeared meanwhile
        with atomic_path(dest, "import", replace=False) as tmp:
            if _is_ultralytics(data):
                kind = "ultralytics"
                _write_ultralytics(data, tmp, src.name)
            else:
                kind = "tensors"
                _write_tensors(data, tmp)
            digest = sha256_of(tmp)
    except FileExistsError:
        raise ModelFileRefused(f"models import: {dest} exists; move it away first") from None
    _record_trust(digest, {"file": dest.name, "model": record.name if record else None,
                           "source": src.name, "kind": kind,
                           "imported": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})
    return ImportedWeights(path=dest, sha256=digest, kind=kind,
                           model=record.name if record else None)
