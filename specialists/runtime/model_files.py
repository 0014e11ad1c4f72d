"""Model files are data: every weights file is read in a way that cannot run code.

* **Tensors** (SAM, CLIP, the heads EarthSight trains, torchvision backbones) load with
  ``torch.load(weights_only=True)`` through :func:`load_tensors`: a pickle that carries code is
  refused by torch's restricted unpickler.
* **ultralytics checkpoints** (YOLO) load through ultralytics' restricted loader
  (``ULTRALYTICS_SAFE_LOAD``: ``weights_only=True`` plus an allow-list of model classes, and a
  config's ``activation`` parsed without ``eval()``). :func:`safe_ultralytics` turns it on before
  ultralytics is imported, turns it on in the imported modules when something imported
  ultralytics earlier, and checks it is in force before every load; :func:`check_ultralytics_file`
  accepts only ``.pt`` checkpoints: architectures come from the configs EarthSight ships
  (:func:`shipped_config`), never from a user's YAML.
* **Published files** (:func:`verify_published`): a file under a published weights name must
  have the SHA-256 (and size) its model record lists, or a digest the user trusted with
  ``earthsight models import`` (:mod:`specialists.runtime.model_import`); anything else is refused.

Importing this module sets ``ULTRALYTICS_SAFE_LOAD=true`` in the process environment, so a
worker started from this process inherits it as well.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

from specialists.runtime.models import MODELS, ModelRecord, earthsight_weights_dir

SAFE_LOAD_ENV = "ULTRALYTICS_SAFE_LOAD"
TRUST_FILE = "trusted.json"
"""The digests the user imported, in the EarthSight weights folder."""
_CHUNK = 1 << 22

os.environ[SAFE_LOAD_ENV] = "true"  # before any import of ultralytics in this process

_VERIFIED: dict[tuple[str, int, int, int], str] = {}
_VERIFIED_LOCK = threading.Lock()


class ModelFileRefused(ValueError):
    """A model file EarthSight will not load (the message says why and what to do)."""


def sha256_of(path: str | Path) -> str:
    """SHA-256 of a file, read in 4 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def published_record(name: str) -> ModelRecord | None:
    """The record whose published weights file is called ``name`` (None: not a published
    file name, or one without a published digest)."""
    for record in MODELS.values():
        if record.weights == name and record.sha256:
            return record
    return None


def trust_file() -> Path:
    """The trust store: ``trusted.json`` in the EarthSight weights folder."""
    return earthsight_weights_dir() / TRUST_FILE


def trusted_digests() -> dict[str, dict[str, Any]]:
    """SHA-256 -> entry of every file the user imported (empty when none)."""
    try:
        data = json.loads(trust_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list):
        return {}
    return {str(e["sha256"]): e for e in files if isinstance(e, dict) and "sha256" in e}


def _file_key(path: Path) -> tuple[str, int, int, int]:
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ino)


def verify_published(path: str | Path) -> Path:
    """Refuse a file under a published weights name whose content is not the published one.

    A file named like a published weights file (``yolo11n.pt``, ``sam_vit_b_01ec64.pth``...)
    must have the size and SHA-256 of its record, or a SHA-256 the user trusted with
    ``earthsight models import``. Other names pass (the loaders themselves cannot run code).
    Digests are remembered per file (path, size, mtime, inode) for the life of the process.

    Returns:
        The path, resolved.

    Raises:
        ModelFileRefused: The content differs from the published file.
    """
    p = Path(path).expanduser().resolve()
    record = published_record(p.name)
    if record is None or record.sha256 is None:
        return p
    key = _file_key(p)
    with _VERIFIED_LOCK:
        if key in _VERIFIED:
            return p
    size = key[1]
    digest = sha256_of(p)
    ok = (digest == record.sha256 and (record.size is None or size == record.size)) or (
        digest in trusted_digests())
    if not ok:
        published = f"SHA-256 {record.sha256[:16]}..." + (
            f", {record.size:,} bytes" if record.size else "")
        raise ModelFileRefused(
            f"{p.name} is refused: it carries the name of the published {record.name} weights "
            f"but not their content (SHA-256 {digest[:16]}..., {size:,} bytes; the published "
            f"file has {published}). Get the file again from {record.source}, or, if it is "
            "your own model, give it another file name (pass it as `model`), or run "
            f"`earthsight models import FILE --name {record.name}` on the command line"
            " to trust it.")
    with _VERIFIED_LOCK:
        _VERIFIED[key] = digest
    return p


def load_tensors(path: str | Path) -> Any:
    """``torch.load(path, weights_only=True)`` on CPU after :func:`verify_published`: tensors,
    containers and plain values only; a file that needs anything else is refused.

    Raises:
        ModelFileRefused: A published name with other content, or a file the restricted
            unpickler refuses (it would need code to load).
        OSError: The file cannot be read.
    """
    import pickle

    import torch

    p = verify_published(path)
    try:
        return torch.load(p, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        needs = [line.strip() for line in str(exc).splitlines() if "GLOBAL" in line.upper()]
        if not needs:
            raise  # not a checkpoint at all (damaged, another format): the caller says so
        raise ModelFileRefused(
            f"{p.name} is refused: loading it would run code, not only read tensors "
            f"({needs[0][:200]}). EarthSight loads weights only in ways that cannot run code; if "
            "you trust the file, convert it once with `earthsight models import FILE` on the "
            "command line.") from exc


def safe_ultralytics() -> Any:
    """ultralytics' ``YOLO`` class with its restricted loader in force (checked, not assumed).

    Raises:
        ModelFileRefused: The restricted loader cannot be turned on (e.g. torch < 2.6).
    """
    os.environ[SAFE_LOAD_ENV] = "true"
    import ultralytics.nn.tasks as tasks
    import ultralytics.utils as uutils

    if not getattr(tasks, "SAFE_LOAD", False):  # imported before this process asked for it
        tasks.SAFE_LOAD = True
        uutils.SAFE_LOAD = True
    guard = getattr(tasks, "_SafeLoad", None)
    if guard is None or not guard.restricted():
        raise ModelFileRefused(
            "ultralytics' restricted loader is not available in this installation (needs "
            "ultralytics >= 8.4 with ULTRALYTICS_SAFE_LOAD and torch >= 2.6); EarthSight does "
            "not load YOLO weights without it")
    from ultralytics import YOLO

    return YOLO


def check_ultralytics_file(path: str | Path) -> Path:
    """An ultralytics checkpoint EarthSight will hand to the restricted loader.

    Raises:
        ModelFileRefused: Not a ``.pt`` checkpoint (a YAML model config, an export...), or a
            published name with other content.
    """
    p = Path(path)
    if p.suffix.lower() != ".pt":
        raise ModelFileRefused(
            f"{p.name} is refused: YOLO weights must be an ultralytics .pt checkpoint. Model "
            "architectures come only from the configs EarthSight ships, never from a file "
            "given as a model.")
    return verify_published(p)


def load_ultralytics(path: str | Path) -> Any:
    """``YOLO(path)`` through the restricted loader.

    Raises:
        ModelFileRefused: Not a ``.pt``, a published name with other content, or a checkpoint
            the restricted loader refuses (it would need code to load).
    """
    p = check_ultralytics_file(path)
    yolo = safe_ultralytics()
    try:
        return yolo(str(p))
    except TypeError as exc:  # how the restricted loader refuses a file
        text = " ".join(str(exc).split()).replace("ERROR ❌️ ", "")
        raise ModelFileRefused(
            f"{p.name} is refused by the restricted ultralytics loader, which never runs code "
            f"from a file ({text[:300]}). If you trust the file, convert it once with "
            "`earthsight models import FILE` on the command line.") from exc
    except (RuntimeError, ValueError, IndexError, KeyError, AttributeError, OSError,
            EOFError) as exc:  # the restricted unpickler on bytes that are no checkpoint
        raise ModelFileRefused(
            f"{p.name} is refused: it is not a loadable ultralytics checkpoint "
            f"({type(exc).__name__}: {str(exc)[:200]})") from exc


def shipped_config(config: str) -> str:
    """A model config EarthSight builds architectures from: one a model record names.

    Raises:
        ModelFileRefused: Any other config (a user's YAML).
    """
    shipped = {r.config for r in MODELS.values() if r.library == "ultralytics" and r.config}
    if config not in shipped:
        raise ModelFileRefused(f"{config!r} is not a shipped model config; architectures come "
                               f"only from {', '.join(sorted(shipped))}")
    return config
