"""Archives of scenes for the CLIP tools: expand folders/globs, cut scenes into tiles with
footprints, read them decimated to the model's input size, embed, and refresh an index.

Rasters are only ever read window by window, each window decimated by GDAL straight to the
model's input side (``out_shape``), so a tile of any size costs one small read. Scenes are
embedded by :func:`scene_embeddings`: here scene by scene, or on a cluster's workers when the
encoder embeds scenes itself (:class:`tools.clip.remote.RemoteClip`), in the same groups.
"""

from __future__ import annotations

import contextlib
import glob
import warnings
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast

import numpy as np
from rasterio.enums import Resampling
from rasterio.errors import NotGeoreferencedWarning

from specialists.tiling import Window
from tools.clip.index import ImageIndex, Item
from tools.core.artifacts import Artifact, ToolResult
from tools.core.errors import InputError
from tools.geo.raster import crs_to_str, describe, iter_tiles, open_dataset, rio

RASTER_SUFFIXES = (".tif", ".tiff", ".png", ".jpg", ".jpeg", ".jp2", ".vrt", ".img")
CLIP_TILE = 512
"""Default tile side in pixels for cutting scenes (scene-classification sets use 256-600 px)."""

Progress = Callable[[str, int, int], None]
ToolCaller = Callable[[str, dict[str, Any]], ToolResult]
"""Runs a tool as a child of the calling tool (``ToolContext.call_tool``): non-RGB scenes are
composited by ``pseudo_rgb`` on their own grid."""


class Encoder(Protocol):
    """What embeds images: :class:`specialists.clip.model.LoadedClip` or a test/bench stand-in."""

    image_size: int
    batch: int

    def encode_images(self, images: Sequence[np.ndarray], batch: int | None = None
                      ) -> np.ndarray: ...


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def expand(spec: str, argument: str) -> list[Path]:
    """Files named by ``spec``: one file, a folder (recursive), or a glob; sorted, absolute.

    Raises:
        InputError: Nothing matches, or the folder holds no raster files.
    """
    p = Path(spec).expanduser()
    if p.is_file():
        return [p.resolve()]
    if p.is_dir():
        found = [f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in RASTER_SUFFIXES]
        if not found:
            raise InputError(f"{argument}: folder {p} holds no raster files "
                             f"({', '.join(RASTER_SUFFIXES)})")
        return sorted(f.resolve() for f in found)
    if glob.has_magic(spec):
        found = [Path(f) for f in glob.glob(str(p), recursive=True)]
        found = [f for f in found if f.is_file() and f.suffix.lower() in RASTER_SUFFIXES]
        if not found:
            raise InputError(f"{argument}: the pattern {spec} matches no raster files")
        return sorted(f.resolve() for f in found)
    raise InputError(f"{argument}: {spec} is not a file, a folder, a glob or an index name. "
                     "Check the path (relative paths start at the current folder).")


@dataclass
class Scene:
    """A source file and where its RGB pixels come from."""

    path: Path
    rgb: Path
    bands: list[int]
    width: int
    height: int
    crs: str | None
    transform: Any
    note: str | None = None
    composite: Artifact | None = None
    """The ``pseudo_rgb`` composite made for it (None: the file is read as it is)."""


def _composite(path: Path, call_tool: ToolCaller) -> Artifact:
    """The ``pseudo_rgb`` composite of ``path`` (its own file, made by a child call)."""
    art = call_tool("pseudo_rgb", {"image": str(path)}).first("raster")
    if art is None or art.path is None:
        raise InputError(f"pseudo_rgb wrote no composite of {path}")
    return art


def prepare(path: Path, call_tool: ToolCaller | None, argument: str) -> Scene:
    """Header facts of ``path`` and its RGB source (itself, a grey band x3, or a composite).

    Raises:
        InputError: Unreadable, or non-RGB with no ``call_tool``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        info = describe(path, argument)
    note, composite = None, None
    if info.dtype == "uint8" and info.count in (3, 4) and info.modality in ("rgb", "multispectral"):
        rgb, bands = path, [1, 2, 3]
    elif info.dtype == "uint8" and info.count in (1, 2):
        rgb, bands = path, [1, 1, 1]
    elif call_tool is None:
        raise InputError(f"{argument}: {path} is {info.modality} ({info.count} bands, "
                         f"{info.dtype}); composite it with pseudo_rgb first")
    else:
        composite = _composite(path, call_tool)
        rgb, bands = Path(str(composite.path)), [1, 2, 3]
        note = f"{path.name}: {info.modality} scene composited to RGB with pseudo_rgb"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with open_dataset(path, argument) as src:
            return Scene(path=path, rgb=rgb, bands=bands, width=src.width, height=src.height,
                         crs=crs_to_str(src.crs), transform=src.transform, note=note,
                         composite=composite)


def footprint(transform: Any, col: int, row: int, width: int, height: int) -> list[list[float]]:
    """Closed exterior ring of a pixel window in the raster's coordinates."""
    corners = [(col, row), (col + width, row), (col + width, row + height), (col, row + height),
               (col, row)]
    return [[float(v) for v in transform * (c, r)] for c, r in corners]


def scene_items(scene: Scene, tile_size: int, whole_max: int | None) -> list[Item]:
    """The items of a scene: the whole image when its longer side is at most ``whole_max``
    (None: never), else tiles of ``tile_size`` pixels (edge tiles are smaller).
    """
    if whole_max is not None and max(scene.width, scene.height) <= whole_max:
        windows = [Window(0, 0, scene.width, scene.height)]
    else:
        windows = [t.core for t in iter_tiles(scene.width, scene.height, tile_size)]
    return [Item(path=str(scene.path), col=c, row=r, width=w, height=h, crs=scene.crs,
                 footprint=footprint(scene.transform, c, r, w, h)) for c, r, w, h in windows]


def read_windows(rgb: str | Path, bands: Sequence[int], windows: Sequence[Window],
                 side: int) -> Iterator[np.ndarray]:
    """Each window of ``rgb`` (its ``bands`` as R, G, B) as ``(side, side, 3)`` uint8 RGB (GDAL
    average decimation). The one reader of the CLIP tools, in-process and on workers."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with open_dataset(rgb) as src:
            for win in windows:
                data = src.read(list(bands), window=rio(win), out_shape=(3, side, side),
                                resampling=Resampling.average)
                yield np.moveaxis(np.asarray(data, np.uint8), 0, -1)


def item_window(it: Item) -> Window:
    """The pixel window of an item."""
    return Window(it.col, it.row, it.width, it.height)


def read_items(scene: Scene, items: Sequence[Item], side: int) -> Iterator[np.ndarray]:
    """Each item's window as ``(side, side, 3)`` uint8 RGB (GDAL average decimation)."""
    return read_windows(scene.rgb, scene.bands, [item_window(it) for it in items], side)


def embed_items(scene: Scene, items: Sequence[Item], encoder: Encoder,
                progress: Callable[[int], None] | None = None) -> np.ndarray:
    """Embeddings ``(N, D)`` of a scene's items, read and encoded ``encoder.batch`` at a time."""
    parts: list[np.ndarray] = []
    batch: list[np.ndarray] = []
    for img in read_items(scene, items, encoder.image_size):
        batch.append(img)
        if len(batch) >= encoder.batch:
            parts.append(encoder.encode_images(batch))
            if progress:
                progress(len(batch))
            batch = []
    if batch:
        parts.append(encoder.encode_images(batch))
        if progress:
            progress(len(batch))
    return np.concatenate(parts) if parts else np.zeros((0, 0), np.float32)


class SceneEmbedder(Protocol):
    """An encoder that embeds many scenes' items itself (on a cluster's workers:
    :class:`tools.clip.remote.RemoteClip`)."""

    def embed_scenes(self, work: Sequence[tuple[Scene, Sequence[Item]]],
                     progress: Callable[[int], None] | None = None) -> Iterator[np.ndarray]: ...


def scene_embeddings(work: Sequence[tuple[Scene, Sequence[Item]]], encoder: Encoder,
                     progress: Callable[[int], None] | None = None
                     ) -> Generator[np.ndarray, None, None]:
    """Each scene's item embeddings ``(N, D)``, in scene order: :func:`embed_items` scene by
    scene here, or the encoder's own ``embed_scenes`` (a cluster: the same forward-pass groups
    on workers, the same arrays). ``progress(n)`` after each group of ``n`` items."""
    fan_out = getattr(encoder, "embed_scenes", None)
    if fan_out is not None:
        yield from cast(SceneEmbedder, encoder).embed_scenes(work, progress)
        return
    for scene, items in work:
        yield embed_items(scene, items, encoder, progress)


def counter(progress: Progress, stage: str, total: int) -> Callable[[int], None]:
    """``step(n)``: ``n`` more items done, reported as ``progress(stage, done, total)`` (items
    embedded so far, here or across a cluster's workers)."""
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        progress(stage, done, total)

    return step


@dataclass
class RefreshStats:
    """What a refresh did."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    items_embedded: int = 0
    items_total: int = 0
    notes: list[str] = field(default_factory=list)
    composites: list[Artifact] = field(default_factory=list)


def refresh(index: ImageIndex, files: Sequence[Path], encoder: Encoder, tile_size: int,
            whole_max: int | None, call_tool: ToolCaller | None = None,
            progress: Progress = _no_progress) -> RefreshStats:
    """Bring ``index`` up to date with ``files``: embed new and changed files (by path, mtime
    and size), drop files no longer there. Each file is one transaction.
    """
    stats = RefreshStats()
    known = index.files()
    current = {str(f): f for f in files}
    gone = [p for p in known if p not in current]
    stats.removed = len(gone)
    index.remove(gone)
    todo: list[tuple[Path, int, int, Scene, list[Item]]] = []
    for key, f in current.items():
        st = f.stat()
        if known.get(key) == (st.st_mtime_ns, st.st_size):
            stats.unchanged += 1
            continue
        scene = prepare(f, call_tool, "archive")
        if scene.note:
            stats.notes.append(scene.note)
        if scene.composite:
            stats.composites.append(scene.composite)
        todo.append((f, st.st_mtime_ns, st.st_size, scene, scene_items(scene, tile_size,
                                                                         whole_max)))
        if key in known:
            stats.updated += 1
        else:
            stats.added += 1
    total = sum(len(t[4]) for t in todo)
    progress("embed", 0, total)
    work = [(scene, items) for _f, _m, _s, scene, items in todo]
    with contextlib.closing(scene_embeddings(work, encoder,
                                             counter(progress, "embed", total))) as found:
        for (_f, mtime, size, scene, items), vecs in zip(todo, found, strict=True):
            index.put_file(str(scene.path), mtime, size, items, vecs)
    index.flush()
    stats.items_embedded = total
    stats.items_total = len(index)
    return stats
