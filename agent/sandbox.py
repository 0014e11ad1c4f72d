"""The sandbox: which files a request may read, and how big and how many jobs may run.

Every embedded interface (workflows run through the Python API, the MCP server, the HTTP API,
``Analyst(sandbox=True)``) passes file arguments through a :class:`Sandbox`; the CLI uses one
only with ``--sandbox`` (the analyst runs it on their own files).

* Relative paths resolve against the workspace, then each data root (first that exists wins).
* Refused, with a :class:`SandboxRefused` (an :class:`~tools.core.errors.InputError`; the servers
  answer 403) naming the argument and the allowed roots:
  ``..`` components, ``~``, URLs (``scheme://``) and GDAL virtual paths (``/vsi...``), GDAL VRT
  files (they may point anywhere), absolute paths outside the roots, and symlinks whose target
  lies outside the roots. Result files (``$sN``) whose recorded artifacts lie outside are
  refused too.
* ``"$..."`` references (``$s1``, ``$image``) pass through unchanged: the runner resolves them
  to workspace files or to scenes that were checked already, and checks the result again.
* Globs (``scenes/*.tif``) are resolved like paths; every match must lie inside the roots.
* Rasters larger than ``max_pixels`` (width x height) are refused; :meth:`Sandbox.job` bounds
  how many jobs run at once (``max_jobs``).
* Without a sandbox (the CLI without ``--sandbox``, ``Analyst()``), :func:`file_checks` gives a
  :class:`PixelLimit`: paths are read as given, but the same pixel limit applies to every scene
  and every file argument (the agent graph, ``run-tool`` and ``Analyst.run_tool`` call it).

Environment: ``EARTHSIGHT_DATA`` (the data folder, a root), ``EARTHSIGHT_DATA_ROOTS`` (more
roots, ``os.pathsep``-separated), ``EARTHSIGHT_MAX_PIXELS``, ``EARTHSIGHT_MAX_JOBS``.
"""

from __future__ import annotations

import glob
import json
import os
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tools.core.errors import EarthSightError, InputError

DEFAULT_MAX_PIXELS = 1_000_000_000
DEFAULT_MAX_JOBS = 2
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_GLOB_CHARS = re.compile(r"[*?\[]")
_NOT_RASTERS = (".json", ".geojson", ".csv", ".txt", ".yaml", ".yml")


class SandboxBusy(EarthSightError):
    """Every job slot is taken (``max_jobs``); try again later."""


class SandboxRefused(InputError):
    """A file argument the sandbox refuses (outside the roots, a URL, ``..``, a VRT, ...)."""


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise InputError(f"{name}={text!r} is not a whole number; unset it or give e.g. "
                         f"{default}") from None
    if value < 1:
        raise InputError(f"{name}={text!r} must be at least 1")
    return value


def default_data_roots(workspace: str | Path) -> list[Path]:
    """The workspace, ``EARTHSIGHT_DATA`` (or the default data folder) and
    ``EARTHSIGHT_DATA_ROOTS``."""
    from tools.core.settings import get_settings

    roots = [Path(workspace), get_settings().data_dir]
    extra = os.environ.get("EARTHSIGHT_DATA_ROOTS", "")
    roots.extend(Path(p) for p in extra.split(os.pathsep) if p.strip())
    return roots


class Sandbox:
    """File-argument checks and resource limits for one workspace.

    Args:
        workspace: The session workspace (always a root; relative paths resolve here first).
        data_roots: Folders requests may read (default: :func:`default_data_roots`). The
            workspace is added when missing.
        max_pixels: Largest raster (width x height) a file argument may name.
        max_jobs: Jobs that may run at once through :meth:`job`.
    """

    def __init__(self, workspace: str | Path, data_roots: Sequence[str | Path] | None = None,
                 max_pixels: int = DEFAULT_MAX_PIXELS, max_jobs: int = DEFAULT_MAX_JOBS) -> None:
        if max_pixels < 1 or max_jobs < 1:
            raise InputError("Sandbox: max_pixels and max_jobs must be at least 1")
        self.workspace = Path(workspace).expanduser().resolve()
        given = default_data_roots(self.workspace) if data_roots is None else list(data_roots)
        roots: list[Path] = [self.workspace]
        for root in given:
            resolved = Path(root).expanduser().resolve()
            if resolved not in roots:
                roots.append(resolved)
        self.roots: tuple[Path, ...] = tuple(roots)
        self.max_pixels = max_pixels
        self.max_jobs = max_jobs
        self._slots = threading.BoundedSemaphore(max_jobs)

    @classmethod
    def from_env(cls, workspace: str | Path) -> Sandbox:
        """A sandbox for ``workspace`` configured from ``EARTHSIGHT_*`` variables."""
        return cls(workspace, max_pixels=max_pixels_from_env(),
                   max_jobs=_env_int("EARTHSIGHT_MAX_JOBS", DEFAULT_MAX_JOBS))

    def __repr__(self) -> str:
        roots = ", ".join(str(r) for r in self.roots)
        return f"Sandbox(roots=[{roots}], max_pixels={self.max_pixels}, max_jobs={self.max_jobs})"

    # --- paths ---------------------------------------------------------------------------------

    def _allowed(self) -> str:
        return ", ".join(str(r) for r in self.roots)

    def _refuse(self, argument: str, value: str, why: str) -> SandboxRefused:
        return SandboxRefused(
            f"{argument}: {value!r} is refused ({why}). Files must lie inside the workspace or "
            f"a data root: {self._allowed()}. Copy the file into one of them and pass a path "
            "relative to it.")

    def inside(self, path: Path) -> bool:
        """Whether ``path`` (fully resolved, symlinks followed) lies inside a root."""
        real = path.resolve()
        return any(real == root or real.is_relative_to(root) for root in self.roots)

    def _check_text(self, value: str, argument: str) -> None:
        if "\x00" in value:
            raise self._refuse(argument, value, "it contains a NUL character")
        if _URL.match(value):
            raise self._refuse(argument, value, "URLs are not read; only local files")
        if value.startswith("~"):
            raise self._refuse(argument, value, "'~' (home folders) is not expanded")
        if value.lower().startswith(("/vsi", "vsi")):
            raise self._refuse(argument, value, "GDAL virtual file systems are not read")
        if ".." in re.split(r"[\\/]", value):
            raise self._refuse(argument, value, "'..' may not appear in a path")
        if value.lower().endswith(".vrt"):
            raise self._refuse(argument, value, "GDAL VRT files may point anywhere")

    def _candidates(self, value: str) -> list[Path]:
        path = Path(value)
        if path.is_absolute():
            return [path]
        return [root / path for root in self.roots]

    def resolve(self, value: str, argument: str) -> str:
        """The absolute path a file argument names, or an InputError when it is refused.

        Args:
            value: What the caller passed: a path (relative to the workspace or a data root, or
                absolute inside one), a glob, or a ``"$..."`` reference (returned unchanged).
            argument: The argument's name, for the message (e.g. ``image``, ``s2.source``).

        Returns:
            The absolute path (or absolute glob pattern). A relative path that exists nowhere
            resolves into the workspace (the tool then says it is missing).

        Raises:
            InputError: The value is refused; the message names the argument and the roots.
        """
        if not isinstance(value, str):
            raise InputError(f"{argument}: expected a file path (text), got "
                             f"{type(value).__name__}")
        if value.startswith("$"):
            return value
        if not value.strip():
            raise InputError(f"{argument}: empty file path")
        self._check_text(value, argument)
        if _GLOB_CHARS.search(value):
            return self._resolve_glob(value, argument)
        candidates = self._candidates(value)
        chosen = next((c for c in candidates if c.exists() or c.is_symlink()), candidates[0])
        if not self.inside(chosen):
            why = ("it is a symlink to a place outside" if chosen.is_symlink() or
                   chosen.resolve() != chosen.absolute() else "it lies outside every root")
            raise self._refuse(argument, value, why)
        if chosen.resolve().suffix.lower() == ".vrt":
            raise self._refuse(argument, value, "GDAL VRT files may point anywhere")
        return str(chosen.absolute())

    def _resolve_glob(self, value: str, argument: str) -> str:
        if Path(value).is_absolute():
            first = _GLOB_CHARS.search(value)
            base = value[: first.start()] if first else value
            folder = Path(base) if base.endswith(("/", os.sep)) else Path(base).parent
            if not self.inside(folder):
                raise self._refuse(argument, value, "it lies outside every root")
        for candidate in self._candidates(value):
            matches = glob.glob(str(candidate), recursive=True)
            outside = [m for m in matches if not self.inside(Path(m))]
            if outside:
                raise self._refuse(argument, value, f"it matches {outside[0]}, which lies "
                                   "outside every root")
            if matches:
                return str(candidate)
        return value if Path(value).is_absolute() else str(self.workspace / value)

    # --- tool arguments ------------------------------------------------------------------------

    def check_tool_args(self, tool: str, args: dict[str, Any]) -> dict[str, Any]:
        """Resolve and check every file argument of ``tool`` (the fields marked as paths).

        Args:
            tool: A tool name from the catalog.
            args: The call's arguments (``$`` references are left for the runner).

        Returns:
            A copy of ``args`` with file arguments replaced by absolute paths.

        Raises:
            InputError: Unknown tool, a refused path, or a raster over ``max_pixels``.
        """
        from tools.catalog import get_tool
        from tools.core.registry import path_fields

        record = get_tool(tool)
        out = dict(args)
        models = set(path_fields(record.input_model, "model"))
        for name in path_fields(record.input_model):
            value = out.get(name)
            if value is None or (name in models and _is_model_name(value)):
                continue
            if isinstance(value, list | tuple):
                out[name] = [self.check_file(v, f"{name}[{i}]") for i, v in enumerate(value)]
            else:
                out[name] = self.check_file(value, name)
        return out

    def check_file(self, value: Any, argument: str) -> str:
        """Resolve one file argument and check what it holds (size, result-file contents)."""
        path = self.resolve(value, argument)
        if path.startswith("$") or _GLOB_CHARS.search(path):
            return path
        p = Path(path)
        if p.is_file():
            suffix = p.suffix.lower()
            if suffix == ".json":
                self._check_result_file(p, argument)
            elif suffix not in _NOT_RASTERS:
                self.check_pixels(p, argument)
        return path

    def _check_result_file(self, path: Path, argument: str) -> None:
        """A result record (what ``$sN`` names) may only point at files inside the roots."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # not a result record; the tool reads it as GeoJSON or says why not
        result = data.get("result") if isinstance(data, dict) else None
        if not isinstance(result, dict):
            return
        named = [result.get("image")] + [a.get("path") for a in result.get("artifacts", [])
                                         if isinstance(a, dict)]
        for item in named:
            if isinstance(item, str) and item and not self.inside(Path(item)):
                raise self._refuse(argument, str(path), f"the result file points at {item}")

    def check_pixels(self, path: str | Path, argument: str) -> None:
        """Refuse a raster with more than ``max_pixels`` pixels (header read only)."""
        check_pixels(path, argument, self.max_pixels)

    def check_request(self, images: Sequence[str | Path]) -> list[str]:
        """Resolve and check the scenes of an agent request.

        Returns:
            The absolute paths, in order.

        Raises:
            InputError: A refused path or a raster over ``max_pixels``.
        """
        return [self.check_file(str(p), f"images[{i}]") for i, p in enumerate(images)]

    # --- jobs ----------------------------------------------------------------------------------

    @contextmanager
    def job(self, timeout: float | None = None) -> Iterator[None]:
        """Hold one of the ``max_jobs`` slots while the block runs.

        Args:
            timeout: Seconds to wait for a slot (None: wait as long as it takes; 0: do not wait).

        Raises:
            SandboxBusy: No slot became free within ``timeout``.
        """
        acquired = self._slots.acquire(timeout=timeout) if timeout is not None else (
            self._slots.acquire())
        if not acquired:
            raise SandboxBusy(f"all {self.max_jobs} job slots are busy (EARTHSIGHT_MAX_JOBS); "
                              "try again when a running job finishes")
        try:
            yield
        finally:
            self._slots.release()


def max_pixels_from_env() -> int:
    """``EARTHSIGHT_MAX_PIXELS``, default 1e9."""
    return _env_int("EARTHSIGHT_MAX_PIXELS", DEFAULT_MAX_PIXELS)


def check_pixels(path: str | Path, argument: str, max_pixels: int) -> None:
    """Refuse a raster with more than ``max_pixels`` pixels (header read only; a file GDAL
    cannot read passes, the tool says why it cannot use it).

    Raises:
        InputError: The raster is over the limit (the message names it).
    """
    import rasterio

    try:
        with rasterio.open(path) as src:
            width, height = int(src.width), int(src.height)
    except Exception:
        return  # not a raster GDAL reads; the tool reports that with its own message
    if width * height > max_pixels:
        raise InputError(
            f"{argument}: {path} has {width} x {height} = {width * height:,} pixels, over the "
            f"limit of {max_pixels:,} pixels (EARTHSIGHT_MAX_PIXELS). Clip the scene to the "
            "area of interest first.")


class PixelLimit:
    """The checks that apply without a sandbox: paths are read as given, rasters over
    ``max_pixels`` are refused (the same interface as :class:`Sandbox`'s checks).

    Args:
        max_pixels: Largest raster (width x height) a scene or file argument may be.
    """

    def __init__(self, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
        self.max_pixels = max_pixels

    def __repr__(self) -> str:
        return f"PixelLimit(max_pixels={self.max_pixels})"

    def _check(self, value: Any, argument: str) -> Any:
        if not isinstance(value, str | Path) or str(value).startswith("$"):
            return value
        path = Path(value).expanduser()
        if (not _GLOB_CHARS.search(str(value)) and path.suffix.lower() not in _NOT_RASTERS
                and path.is_file()):
            check_pixels(path, argument, self.max_pixels)
        return value

    def check_tool_args(self, tool: str, args: dict[str, Any]) -> dict[str, Any]:
        """Check the rasters ``tool``'s file arguments name; returns a copy of ``args`` (a tool
        outside the catalog, e.g. a caller's own ``tool_lookup``, is not checked).

        Raises:
            InputError: A raster over ``max_pixels``.
        """
        from tools.catalog import REGISTRY
        from tools.core.registry import path_fields

        record = REGISTRY.get(tool)
        if record is None:
            return dict(args)
        models = set(path_fields(record.input_model, "model"))
        for name in path_fields(record.input_model):
            value = args.get(name)
            if value is None or (name in models and _is_model_name(value)):
                continue
            items = value if isinstance(value, list | tuple) else [value]
            for i, item in enumerate(items):
                self._check(item, f"{name}[{i}]" if items is value else name)
        return dict(args)

    def check_request(self, images: Sequence[str | Path]) -> list[str]:
        """Check the scenes of a request; returns them as given (as text).

        Raises:
            InputError: A raster over ``max_pixels``.
        """
        return [str(self._check(p, f"images[{i}]")) for i, p in enumerate(images)]


def file_checks(sandbox: Sandbox | None) -> Sandbox | PixelLimit:
    """What checks file arguments: ``sandbox``, or without one a :class:`PixelLimit` from
    ``EARTHSIGHT_MAX_PIXELS`` (the one place every interface without a sandbox goes through).
    """
    return sandbox if sandbox is not None else PixelLimit(max_pixels_from_env())


def _is_model_name(value: Any) -> bool:
    """A ``model`` argument that names a model record (no file is read from the caller)."""
    from specialists.runtime.models import MODELS

    return isinstance(value, str) and value in MODELS
