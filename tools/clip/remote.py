"""The CLIP tools on a Dask cluster (``EARTHSIGHT_CLUSTER``): images embedded on workers, the
rest here exactly as in-process.

``classify_scene``, ``search_images`` and ``earthsight index`` keep everything but the forward
passes. They prepare the scenes (``pseudo_rgb`` composites of non-RGB ones), list each scene's
items (the whole image or its tiles) and group them as the in-process loop does (each scene's
items ``batch`` at a time, the worker encoder's own batch) and send one task per group: the
task reads the group's windows decimated to the model's input side (the same reader as
in-process) and embeds them in one forward pass with the worker's encoder, which the worker
loaded once (:mod:`specialists.runtime.worker_models`: a worker plugin per model, the
process-wide model cache; a task carries the loader's *name* and the weights *path*, never
weights). Embeddings come back in item order, and the caller computes probabilities, top
labels, counts and tables, or writes the index (one transaction per file, then the FAISS file
of the generation), with the same code as in-process. Label and query prompts are encoded by
one task each; their averaging and normalising happen here.

The encoder runs where the workers are: ``device`` None means each worker's own default (CUDA
where it has one). Identical outputs hold when the workers run the same device and runtime as
the caller would (a GPU's fp16 embeddings differ from a CPU's).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from specialists.clip.model import LoadedClip
from specialists.runtime.cluster import ClusterError
from specialists.runtime.models import ModelRecord
from specialists.runtime.worker_models import ModelSpec, ensure_models, worker_model
from specialists.tiling import Window
from tools.clip.archive import Scene, item_window, read_windows
from tools.clip.index import Item
from tools.clip.models import load_clip_batched, load_clip_model, resolve_clip
from tools.core.errors import InputError, ToolUnavailable
from tools.geo.fanout import TileRunner

R = TypeVar("R")


@dataclass(frozen=True)
class ClipInfo:
    """What a worker's encoder is (a :class:`LoadedClip` without its network)."""

    arch: str
    device: str
    image_size: int
    embed_dim: int
    logit_scale: float
    weights: str
    batch: int


@dataclass(frozen=True)
class EmbedGroup:
    """One task: the windows of one scene embedded in one forward pass.

    Attributes:
        rgb: GDAL name of the file the RGB pixels come from (the scene or its composite).
        bands: Its bands read as R, G, B (1-based).
        windows: Pixel windows, in item order.
        side: The model's input side in pixels (windows are decimated to it when read).
    """

    rgb: str
    bands: tuple[int, ...]
    windows: tuple[Window, ...]
    side: int


def _describe(spec: ModelSpec) -> ClipInfo:
    """On a worker: load (or find) the encoder and describe it."""
    enc: LoadedClip = worker_model(spec)
    return ClipInfo(arch=enc.arch, device=enc.device, image_size=enc.image_size,
                    embed_dim=enc.embed_dim, logit_scale=enc.logit_scale, weights=enc.weights,
                    batch=enc.batch)


def _encode_texts(texts: list[str], spec: ModelSpec) -> np.ndarray:
    """On a worker: the L2-normalised embeddings of ``texts``."""
    enc: LoadedClip = worker_model(spec)
    return enc.encode_texts(texts)


def _embed_group(group: EmbedGroup, spec: ModelSpec) -> np.ndarray:
    """On a worker: the group's windows read and embedded in one forward pass."""
    enc: LoadedClip = worker_model(spec)
    images = list(read_windows(group.rgb, group.bands, group.windows, group.side))
    return enc.encode_images(images)


def _not_here(texts: Sequence[str]) -> Any:
    raise RuntimeError("this encoder runs on the cluster's workers (tools.clip.remote)")


def _stream(runner: TileRunner, fn: Callable[..., R], items: Sequence[Any], *args: Any,
            label: str) -> Generator[R, None, None]:
    """``fn(item, *args)`` on the workers, in item order, counted in the runner's placement;
    a task that kept killing its workers is this tool's :class:`ToolUnavailable`. Closing the
    iterator cancels the tasks not yet read."""
    found = runner.executor.map(fn, items, *args, placement=runner.placement, label=label)
    with contextlib.closing(found):
        try:
            yield from found
        except ClusterError as exc:
            raise ToolUnavailable(str(exc)) from exc


@dataclass
class RemoteClip(LoadedClip):
    """A CLIP encoder that lives on the cluster's workers: what it is, how a worker loads it
    (``spec``) and where its tasks run (``runner``). Probabilities and prompt averaging run
    here (the inherited code); images and texts are encoded by tasks."""

    spec: ModelSpec | None = None
    runner: TileRunner | None = None

    def _where(self) -> tuple[TileRunner, ModelSpec]:
        if self.runner is None or self.spec is None:
            raise RuntimeError("a RemoteClip comes from remote_clip()")
        return self.runner, self.spec

    def encode_images(self, images: Sequence[np.ndarray], batch: int | None = None) -> np.ndarray:
        """Refused: images are read and embedded on the workers (:meth:`embed_scenes`)."""
        raise RuntimeError("this encoder embeds scenes on the cluster's workers: use "
                           "embed_scenes (tools.clip.remote)")

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised embeddings ``(N, D)`` of texts, encoded by one task on a worker."""
        runner, spec = self._where()
        with contextlib.closing(_stream(runner, _encode_texts, [list(texts)], spec,
                                        label="clip-text")) as found:
            return next(found)

    def embed_scenes(self, work: Sequence[tuple[Scene, Sequence[Item]]],
                     progress: Callable[[int], None] | None = None
                     ) -> Generator[np.ndarray, None, None]:
        """Each scene's item embeddings ``(N, D)``, in scene order, computed on the workers one
        forward-pass group (``batch`` items of one scene, as in-process) per task and
        concatenated here as :func:`~tools.clip.archive.embed_items` does. ``progress(n)``
        after each group of ``n`` items. Closing the iterator cancels the tasks not yet read.
        """
        runner, spec = self._where()
        step = max(1, self.batch)
        groups: list[EmbedGroup] = []
        per_scene: list[int] = []
        for scene, items in work:
            windows = [item_window(it) for it in items]
            chunks = [tuple(windows[i:i + step]) for i in range(0, len(windows), step)]
            groups += [EmbedGroup(str(scene.rgb), tuple(scene.bands), c, self.image_size)
                       for c in chunks]
            per_scene.append(len(chunks))
        with contextlib.closing(_stream(runner, _embed_group, groups, spec,
                                        label="clip-embed")) as found:
            for n in per_scene:
                parts: list[np.ndarray] = []
                for _ in range(n):
                    part = next(found)
                    parts.append(part)
                    if progress:
                        progress(len(part))
                yield np.concatenate(parts) if parts else np.zeros((0, 0), np.float32)


def remote_clip(runner: TileRunner, weights: str, arch: str | None, device: str | None,
                batch: int | None) -> RemoteClip:
    """Have every worker load ``load_clip_batched(weights, arch, device, batch)`` once and
    describe the encoder.

    Raises:
        ValueError: A worker refused the checkpoint or the device (the loader's own error).
    """
    spec = ModelSpec(load_clip_batched, (weights, arch, device, batch))
    client = getattr(runner.executor, "client", None)
    if client is not None:  # loads on every worker at once, and on workers that join later
        ensure_models(client, [spec])
    with contextlib.closing(runner.executor.map(_describe, [spec], label="clip-model")) as found:
        info = next(found)
    return RemoteClip(model=None, tokenize=_not_here, arch=info.arch, device=info.device,
                      image_size=info.image_size, embed_dim=info.embed_dim,
                      logit_scale=info.logit_scale, weights=info.weights, batch=info.batch,
                      spec=spec, runner=runner)


def clip_model(runner: TileRunner, spec: str | None, tool: str, device: str | None,
               batch: int | None) -> tuple[ModelRecord, LoadedClip]:
    """The CLIP model of a ``model`` argument where the runner runs: loaded here (in-process),
    or on every worker of the cluster (a :class:`RemoteClip`).

    Raises:
        InputError: Bad model argument, device, or a checkpoint that is not a CLIP model.
        ToolUnavailable: Weights missing, the ``deep`` extra missing, or the cluster lost.
    """
    if runner.executor.in_process:
        return load_clip_model(spec, tool, device, batch)
    record, weights, arch = resolve_clip(spec, tool)
    try:
        return record, remote_clip(runner, str(weights), arch, device, batch)
    except ClusterError as exc:
        raise ToolUnavailable(str(exc)) from exc
    except ImportError as exc:  # pragma: no cover - the workers lack the deep extra
        raise ToolUnavailable(f"{tool} needs the `deep` extra on the cluster's workers "
                              f"({exc.name} is missing): pip install 'earthsight[deep]'") from exc
    except ValueError as exc:  # CheckpointError, device errors (raised on a worker)
        raise InputError(f"model/device: {exc}") from exc
