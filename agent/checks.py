"""The checks of one request: each file argument through the sandbox once, each scene's header
read once, the pixel limit on every raster.

A :class:`RequestChecks` lives for one request (an ``ask``, a tool call, a workflow run): the
runtime makes it, the graph checks every step's file arguments with it, the planner gets its
path rules. A value checked once is not checked again in the same request; a scene's header
(:func:`tools.geo.raster.describe`) is read once and kept on its :class:`~agent.plan.Scene`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from agent import references
from agent.errors import message
from agent.limits import check_pixels
from agent.plan import Scene
from agent.sandbox import GLOB_CHARS, Paths
from specialists.runtime.models import MODELS
from tools.catalog import get_tool
from tools.clip.archive import expand
from tools.core.arguments import check_values, value_problem
from tools.core.errors import InputError, os_error_text
from tools.core.fields import argument_names
from tools.core.registry import ToolRecord, path_fields
from tools.geo.formats import source_file
from tools.geo.raster import RasterInfo, describe

NOT_RASTERS = (".json", ".geojson", ".csv", ".txt", ".yaml", ".yml", ".gpkg", ".shp", ".pt",
               ".pth", ".onnx", ".bin", ".safetensors", ".zip", ".npz", ".gguf")
ToolLookup = Callable[[str], ToolRecord[Any, Any]]


class RequestChecks:
    """File checks for one request.

    Args:
        paths: The path rules (a :class:`~agent.sandbox.Sandbox`, or
            :class:`~agent.sandbox.OpenPaths` without one).
        max_pixels: Largest raster (width x height) a scene or file argument may be.
        lookup: Tool name -> record (which arguments are files).
    """

    def __init__(self, paths: Paths, max_pixels: int, lookup: ToolLookup = get_tool) -> None:
        self.paths = paths
        self.max_pixels = max_pixels
        self.lookup = lookup
        self._checked: dict[str, str] = {}
        self._headers: dict[str, RasterInfo | None] = {}
        self._unreadable: dict[str, str] = {}
        self.errors: list[str] = []
        """Scenes whose header could not be read (the tools say the same when they run)."""

    def __repr__(self) -> str:
        return f"RequestChecks({self.paths!r}, max_pixels={self.max_pixels:,})"

    # --- one file --------------------------------------------------------------------------

    def header(self, path: str, argument: str = "image") -> RasterInfo | None:
        """The header of a raster, read once per request (None: not a raster GDAL reads; the
        reason is kept for :meth:`scene`)."""
        if path not in self._headers:
            try:
                self._headers[path] = describe(path, argument)
            except Exception as exc:  # the tool reports it with its own message
                self._headers[path] = None
                self._unreadable[path] = message(exc)
        return self._headers[path]

    def check_file(self, value: Any, argument: str, raster: bool = True) -> str:
        """Resolve one file argument (once per request) and check what it holds: a result
        record may not point outside the sandbox, a folder or pattern only at files it may
        read, no file may be a GDAL VRT inside a sandbox, and a raster (``raster``: the
        argument is an image, not weights) may not exceed the pixel limit.

        Raises:
            InputError: Refused by the sandbox (``SandboxRefused``) or over the pixel limit.
        """
        if isinstance(value, str) and value in self._checked:
            return self._checked[value]
        problem = value_problem(value)
        if problem is not None:
            raise InputError(f"{argument}: {problem}")
        try:
            return self._check_path(value, argument, raster)
        except OSError as exc:  # a name too long for the file system, a loop of links...
            if isinstance(exc, PermissionError):
                raise  # refused (403), as it is
            raise InputError(f"{argument}: cannot use {_short(value)}: "
                             f"{os_error_text(exc, with_name=False)}") from exc

    def _check_path(self, value: Any, argument: str, raster: bool) -> str:
        path = self.paths.resolve(value, argument)
        if not references.is_reference(path):
            p = Path(path)
            data = source_file(path)  # what GDAL reads: file.nc#var -> file.nc, ENVI header -> data
            if GLOB_CHARS.search(path) or p.is_dir():
                self.paths.check_members(_members(path, argument), argument)
            elif data.is_file():
                if p.suffix.lower() == ".json":
                    self.paths.check_result_file(p, argument)
                else:
                    self.paths.check_members([data.resolve()], argument)
                    if raster and p.suffix.lower() not in NOT_RASTERS:
                        info = self.header(path, argument)
                        if info is not None:
                            check_pixels(info.width, info.height, path, argument,
                                         self.max_pixels)
        self._checked[value] = self._checked[path] = path
        return path

    # --- a request's scenes, a tool's arguments ----------------------------------------------

    def scene(self, value: str, argument: str, must_exist: bool = False) -> Scene:
        """A request scene: checked, its header read (modality known when it is a raster).

        Args:
            must_exist: Refuse a missing file (else the steps that read it fail).

        Raises:
            InputError: Refused, over the pixel limit, or (``must_exist``) no such file.
        """
        path = self.check_file(value, argument)
        if not source_file(path).is_file():
            if must_exist:
                raise InputError(f"{argument}: file not found: {value}")
            return Scene(path=path)
        info = self.header(path, argument)
        if info is None and path in self._unreadable:
            self.errors.append(self._unreadable.pop(path))
        return Scene(path=path, modality=info.modality if info else None, info=info)

    def dry_run_scenes(self, images: Sequence[str | Path]) -> list[Scene]:
        """The scenes of a dry run: names as given; a file that exists also gets the modality
        its header says, so a dry run plans the same tools as the real run (a missing or
        refused file is no error: a dry run needs names only)."""
        out: list[Scene] = []
        for i, image in enumerate(images):
            modality = None
            if source_file(str(image)).is_file():
                try:
                    modality = self.scene(str(image), f"images[{i}]").modality
                except InputError:
                    modality = None
            out.append(Scene(path=str(image), modality=modality))
        return out

    def scenes(self, images: Sequence[str | Path], argument: str = "images",
               must_exist: bool = False) -> list[Scene]:
        """Every scene of a request, in order (see :meth:`scene`); ``argument`` names them in
        messages (``images[0]``, or ``--image`` for the command line's one scene)."""
        if len(images) == 1 and not argument.startswith("images"):
            return [self.scene(str(images[0]), argument, must_exist)]
        return [self.scene(str(p), f"{argument}[{i}]", must_exist)
                for i, p in enumerate(images)]

    def check_tool_args(self, tool: str, args: dict[str, Any]) -> dict[str, Any]:
        """``args`` with every file argument of ``tool`` checked and resolved (references are
        left for the runner; a ``model`` naming a model record reads no file).

        Raises:
            InputError: Unknown tool, an unknown argument or an unusable value
                (:func:`tools.core.arguments.check_values`), a refused path, or a raster
                over the pixel limit.
        """
        record = self.lookup(tool)
        check_values(record.name, args, argument_names(record.input_model))
        out = dict(args)
        models = set(path_fields(record.input_model, "model"))
        for name in path_fields(record.input_model):
            value = out.get(name)
            if value is None or (name in models and isinstance(value, str) and value in MODELS):
                continue
            raster = name not in models
            if isinstance(value, list | tuple):  # numbers are no files (a region's bbox)
                out[name] = [self.check_file(v, f"{name}[{i}]", raster)
                             if not isinstance(v, int | float) else v
                             for i, v in enumerate(value)]
            else:
                out[name] = self.check_file(value, name, raster)
        return out


def _members(spec: str, argument: str) -> list[Path]:
    """The files a folder or glob argument stands for, as the tools expand it (none when it
    names nothing: the tool then says so)."""
    try:
        return expand(spec, argument)
    except InputError:
        return []


def _short(value: Any, limit: int = 100) -> str:
    text = str(value)
    return repr(text if len(text) <= limit else text[:60] + "..." + text[-30:])
