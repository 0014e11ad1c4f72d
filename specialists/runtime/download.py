"""``earthsight models pull``: download a model's published weights into the cache the lookup reads.

A record's ``source`` is the release its library downloads itself (ultralytics' GitHub release
assets, Meta's segment-anything files, the MobileSAM repository, the Hugging Face ``resolve``
URLs of RemoteCLIP / GeoRSCLIP, which is what ``huggingface_hub`` fetches). The file is streamed
with :mod:`urllib.request` to a hidden temporary beside its final name in the library's own cache
(:func:`pull_folder`: ultralytics' ``weights_dir``, torch hub's ``checkpoints``), which
:func:`specialists.runtime.models.weights_present` and ``resolve_weights`` read. Its size and
SHA-256 are checked against the record while it arrives and at the end; only a file that
matches is renamed onto the final name, so a half or wrong file never carries it.

Pulling is explicit: nothing here runs at tool run time. ``YOLO_OFFLINE`` / ``HF_HUB_OFFLINE``
are honoured (a pull refuses to go online while either is set), and
``$EARTHSIGHT_MODELS_MIRROR`` (a base URL) replaces the release's folder for machines that
reach a mirror instead of the publishers; ``$HF_ENDPOINT`` replaces ``https://huggingface.co``
as ``huggingface_hub`` does.
"""

from __future__ import annotations

import difflib
import hashlib
import http.client
import os
import shutil
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from specialists.runtime.atomic import atomic_path
from specialists.runtime.models import (
    MODELS,
    OFFLINE_ENVS,
    TRAINED_HERE,
    ModelRecord,
    earthsight_weights_dir,
    is_offline,
    library_cache_dirs,
    weights_present,
)

MIRROR_ENV = "EARTHSIGHT_MODELS_MIRROR"
"""A base URL serving the weights files by name (``$EARTHSIGHT_MODELS_MIRROR/<weights>``)."""
HF_ENDPOINT_ENV = "HF_ENDPOINT"
_HF = "https://huggingface.co"
_CHUNK = 1 << 20
TIMEOUT_S = 30.0
"""Seconds to wait for a connection or for the next block of the file."""

Progress = Callable[[int, int | None], None]
"""``progress(bytes_done, bytes_total)``; the total is None when neither record nor server says."""


class PullError(Exception):
    """A pull that cannot be done; the message is one line naming the model and the fix."""


class NoNetwork(PullError):
    """The source cannot be reached (no network, DNS failure, refused, timed out, offline set)."""


class NoRelease(PullError):
    """The model has no published file (weights trained here)."""


class DigestMismatch(PullError):
    """The downloaded bytes are not the published file (size or SHA-256); nothing was kept."""


@dataclass(frozen=True)
class Pulled:
    """One model's pull.

    Attributes:
        name: The model record.
        path: Where its weights are now.
        downloaded: False when they were already on this machine (nothing fetched).
        size: Size of the file in bytes.
        url: Where it came from (empty when nothing was fetched).
    """

    name: str
    path: Path
    downloaded: bool
    size: int
    url: str = ""


def find_record(name: str) -> ModelRecord:
    """The record called ``name`` (or whose weights file is called ``name``).

    Raises:
        KeyError: Unknown; the message names the closest known model and lists them all.
    """
    if name in MODELS:
        return MODELS[name]
    for record in MODELS.values():
        if record.weights == name:
            return record
    close = difflib.get_close_matches(name, list(MODELS), n=1, cutoff=0.4)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise KeyError(f"unknown model '{name}'; {hint}known models: {', '.join(MODELS)}")


def published(record: ModelRecord) -> bool:
    """True when the model has a release to download (not weights trained here)."""
    return not record.source.startswith(TRAINED_HERE)


def pull_folder(record: ModelRecord) -> Path:
    """The folder a pull writes to: the library's own cache (ultralytics' ``weights_dir``, torch
    hub's ``checkpoints``) when it is an absolute folder, else the EarthSight weights folder
    (ultralytics without a settings file names a folder relative to the current one)."""
    folder = library_cache_dirs(record)[0].expanduser()
    return folder if folder.is_absolute() else earthsight_weights_dir()


def source_url(record: ModelRecord) -> str:
    """The URL a pull fetches: the record's release, under ``$EARTHSIGHT_MODELS_MIRROR`` or
    ``$HF_ENDPOINT`` when set.

    Raises:
        PullError: ``$EARTHSIGHT_MODELS_MIRROR`` is not an http(s) URL.
    """
    mirror = os.environ.get(MIRROR_ENV, "").strip()
    if mirror:
        if urllib.parse.urlsplit(mirror).scheme not in ("http", "https"):
            raise PullError(f"${MIRROR_ENV} must be an http(s) URL (got {mirror!r})")
        return mirror.rstrip("/") + "/" + urllib.parse.quote(record.weights)
    endpoint = os.environ.get(HF_ENDPOINT_ENV, "").strip()
    if endpoint and record.source.startswith(_HF + "/"):
        return endpoint.rstrip("/") + record.source[len(_HF):]
    return record.source


def present_path(record: ModelRecord) -> Path | None:
    """Where the lookup finds the model's weights now (None: nowhere)."""
    if not weights_present(record):
        return None
    for folder in (earthsight_weights_dir(), *library_cache_dirs(record)):
        if (folder / record.weights).is_file():
            return (folder / record.weights).resolve()
    return None  # pragma: no cover - weights_present said yes


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).hostname or url


def _no_network(record: ModelRecord, url: str, why: str) -> NoNetwork:
    dest = pull_folder(record) / record.weights
    return NoNetwork(f"no network (cannot reach {_host(url)}: {why}); copy {record.weights} "
                     f"from {record.source} to {dest} or use `earthsight models import FILE "
                     f"--name {record.name}`")


def _check_space(record: ModelRecord, folder: Path) -> None:
    if record.size is None:
        return
    free = shutil.disk_usage(folder).free
    if free < record.size:
        raise PullError(f"{record.name}: {record.weights} needs {record.size:,} bytes but "
                        f"{folder} has {free:,} bytes free; free some space or set "
                        "$EARTHSIGHT_WEIGHTS_DIR to a larger disk")


def _refuse(record: ModelRecord, url: str, what: str) -> DigestMismatch:
    return DigestMismatch(f"{record.name}: the file from {url} is not the published "
                          f"{record.weights} ({what}); nothing was kept. Try again later, or "
                          f"check ${MIRROR_ENV} / ${HF_ENDPOINT_ENV} point to the real release")


def _stream(record: ModelRecord, url: str, tmp: Path, progress: Progress | None,
            timeout_s: float) -> int:
    """Write the body of ``url`` into ``tmp``, checking size and SHA-256; returns the size."""
    request = urllib.request.Request(url, headers={"User-Agent": "earthsight-models-pull"})
    try:
        response = urllib.request.urlopen(request, timeout=timeout_s)
    except urllib.error.HTTPError as exc:
        raise PullError(f"{record.name}: {_host(url)} answered HTTP {exc.code} ({exc.reason}) "
                        f"for {url}") from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        raise _no_network(record, url, str(reason) or type(exc).__name__) from exc
    digest = hashlib.sha256()
    done = 0
    with response, open(tmp, "wb") as out:
        header = response.headers.get("Content-Length")
        total = record.size or (int(header) if header and header.isdigit() else None)
        if record.size is not None and header and header.isdigit() and int(header) != record.size:
            raise _refuse(record, url, f"the server announces {int(header):,} bytes, the "
                          f"published file has {record.size:,} bytes")
        if progress is not None:
            progress(0, total)
        while True:
            try:
                chunk = response.read(_CHUNK)
            except (OSError, http.client.HTTPException) as exc:
                raise _no_network(record, url, f"connection lost after {done:,} bytes: "
                                  f"{exc}") from exc
            if not chunk:
                break
            done += len(chunk)
            if record.size is not None and done > record.size:
                raise _refuse(record, url, f"more than the published {record.size:,} bytes")
            digest.update(chunk)
            out.write(chunk)
            if progress is not None:
                progress(done, total)
        out.flush()
        os.fsync(out.fileno())
    if record.size is not None and done != record.size:
        raise _refuse(record, url, f"{done:,} bytes, the published file has {record.size:,}")
    got = digest.hexdigest()
    if record.sha256 is not None and got != record.sha256:
        raise _refuse(record, url, f"SHA-256 {got[:16]}..., published {record.sha256[:16]}...")
    return done


def pull(record: ModelRecord, progress: Progress | None = None,
         timeout_s: float = TIMEOUT_S) -> Pulled:
    """Download ``record``'s published weights into :func:`pull_folder` unless already here.

    Args:
        record: The model.
        progress: Called with ``(bytes_done, bytes_total)`` as the file arrives.
        timeout_s: Seconds to wait for the connection and for each block.

    Raises:
        NoRelease: Weights trained here (the message names the ``earthsight train`` command).
        NoNetwork: Offline (``YOLO_OFFLINE`` / ``HF_HUB_OFFLINE``) or the source unreachable.
        DigestMismatch: The bytes are not the published file; nothing is left behind.
        PullError: Any other refusal (HTTP error, no disk space).
    """
    here = present_path(record)
    if here is not None:
        return Pulled(record.name, here, downloaded=False, size=here.stat().st_size)
    if not published(record):
        raise NoRelease(f"{record.name} has no published weights; train them with "
                        f"`{record.source}`")
    url = source_url(record)
    if is_offline():
        set_ = "/".join(v for v in OFFLINE_ENVS if os.environ.get(v))
        raise NoNetwork(f"offline ({set_} set): unset it to download {record.name} from "
                        f"{_host(url)}, or copy {record.weights} to "
                        f"{pull_folder(record) / record.weights}")
    folder = pull_folder(record)
    folder.mkdir(parents=True, exist_ok=True)
    _check_space(record, folder)
    dest = folder / record.weights
    with atomic_path(dest, "download") as tmp:  # deleted on any error; renamed when whole
        size = _stream(record, url, tmp, progress, timeout_s)
    return Pulled(record.name, dest.resolve(), downloaded=True, size=size, url=url)


def missing_published() -> list[ModelRecord]:
    """The models with a release whose weights are not on this machine (``pull --all``)."""
    return [r for r in MODELS.values() if published(r) and not weights_present(r)]
